import { test, expect } from "@playwright/test";
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, addFirstProducts, buyableCards, expectNoConsoleErrors, fillAddressAndPlace, newestOrder,
  signIn, uniqueEmail, waitForHydration, watchConsole,
} from "./helpers";

test("a guest fills a cart, registers at checkout, orders, and follows the order to shipped", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const names = await addFirstProducts(page, 2);

  await page.getByRole("link", { name: /^Cart/ }).click();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  for (const n of names) await expect(page.getByRole("link", { name: n })).toBeVisible();
  await page.getByRole("link", { name: "Go to checkout" }).click();
  // Guests may buy without an account; this one signs up from checkout.
  await expect(page.getByText("Buying as a guest.")).toBeVisible();
  await page.getByRole("link", { name: "Sign in", exact: true }).last().click();
  await expect(page).toHaveURL(/\/login\?next=%2Fcheckout/);
  await page.getByRole("link", { name: "Create an account" }).click();
  await waitForHydration(page);
  await page.getByLabel("Your name").fill("Guest Turned Customer");
  await page.getByLabel("E-mail address").fill(uniqueEmail("checkout"));
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  // The cart survived registration.
  for (const n of names) await expect(page.getByText(n, { exact: false })).toBeVisible();

  await waitForHydration(page);
  await fillAddressAndPlace(page);
  // The shopper leaves the payment page; the order waits for payment in the history.
  const { number } = await newestOrder(page);
  expect(number).toMatch(/^OX-\d{6}$/);
  await expect(page.getByTestId("cart-count")).toHaveText("0");
  await expect(page.getByRole("row", { name: new RegExp(number) })).toContainText("Awaiting payment");

  // Pay with the test card from the order page, so the shop can ship it.
  await page.getByRole("link", { name: number }).click();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Pay now" }).click();
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
  const orderUrl = page.url();

  // The admin ships it.
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.goto(`/admin/orders?q=${number}`);
  await admin.getByRole("link", { name: number }).click();
  await waitForHydration(admin);
  await admin.getByRole("button", { name: "Mark as shipped" }).click();
  await expect(admin.locator(".page-header .status")).toHaveText("Shipped");
  await adminCtx.close();

  // The shopper sees the new status.
  const id = new URL(orderUrl).searchParams.get("order");
  await page.goto(`/account/orders/${id}`);
  await expect(page.locator(".page-header .status")).toHaveText("Shipped");
  await expectNoConsoleErrors(errors);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the cart works with plain forms", async ({ page }) => {
    await page.goto("/products?in_stock=1&sort=price_asc");
    const card = buyableCards(page).first();
    const name = (await card.locator("h3").textContent())!;
    await card.getByRole("button", { name: /^Add .* to cart$/ }).click();
    await expect(page).toHaveURL(/\/cart\?added=1/);
    await expect(page.getByRole("link", { name })).toBeVisible();
    await page.getByLabel(`Quantity of ${name}`).fill("3");
    await page.getByRole("button", { name: "Update" }).click();
    await expect(page.getByLabel(`Quantity of ${name}`)).toHaveValue("3");
    await page.getByLabel(`Quantity of ${name}`).fill("0");
    await page.getByRole("button", { name: "Update" }).click();
    await expect(page.getByText("Your cart is empty.")).toBeVisible();
  });
});
