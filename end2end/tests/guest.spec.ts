import { test, expect } from "@playwright/test";
import {
  PASSWORD, addFirstProducts, expectNoConsoleErrors, uniqueEmail, waitForHydration, waitForMail, watchConsole,
} from "./helpers";

async function fillUS(page: import("@playwright/test").Page) {
  await page.getByLabel("Country").selectOption({ label: "United States" });
  await page.getByLabel("Full name").fill("Gwen Guest");
  await page.getByLabel("Street and number").fill("9 Visitor Road");
  await page.getByLabel("Town or city").fill("Portland");
  await page.getByLabel("State").selectOption({ label: "Oregon" });
  await page.getByLabel("ZIP code").fill("97201");
}

test("a guest buys with a discount code, pays, opens the mailed link and keeps the order in a new account", async ({ page, request }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("gwen");
  await addFirstProducts(page, 1);
  await page.goto("/checkout");
  await waitForHydration(page);
  await expect(page.getByText("Buying as a guest.")).toBeVisible();
  await page.getByLabel("E-mail address").fill(email);
  await fillUS(page);
  await page.getByRole("radio", { name: /Express/ }).check();
  await page.getByLabel("Discount code (optional)").fill("welcome10");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("WELCOME10: 10 % off")).toBeVisible();
  const total = (await page.getByTestId("checkout-total").textContent())!;
  await page.getByRole("button", { name: "Place order and pay" }).click();
  await expect(page.getByRole("heading", { name: `Pay ${total}` })).toBeVisible();
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
  await expect(page.getByText("Discount (WELCOME10)")).toBeVisible();
  await expect(page.getByText("Shipping: Express")).toBeVisible();

  // The confirmation mail carries the order's own link.
  const mail = await waitForMail(request, email, "is confirmed");
  expect(mail).toContain(`Total paid: ${total}`);
  const link = mail.split(/\s+/).find((w) => w.includes("/order/"))!;
  expect(link).toContain("token=");
  await page.goto(new URL(link).pathname + new URL(link).search);
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: /^Order OX-/ })).toBeVisible();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/account\/orders\/[0-9a-f]{24}$/);
  await page.goto("/account/orders");
  await expect(page.locator("table tbody tr")).toHaveCount(1);
  await expectNoConsoleErrors(errors);
});

test("a changed order link opens nothing", async ({ page }) => {
  await page.goto(`/order/${"a".repeat(24)}?token=${"0".repeat(64)}`);
  await expect(page.getByText(/could not find|not found/i).first()).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a guest checks out with plain forms and goes straight to paying", async ({ page }) => {
    await page.goto("/products?in_stock=1&sort=price_asc");
    const card = page.locator(".product-card").filter({ has: page.getByRole("button", { name: /^Add .* to cart$/ }) }).first();
    await card.getByRole("button", { name: /^Add .* to cart$/ }).click();
    await page.goto("/checkout");
    await page.getByLabel("E-mail address").fill(uniqueEmail("plain"));
    await page.getByLabel("Full name").fill("Pat Plain");
    await page.getByLabel("Street and number").fill("1 Form Street");
    await page.getByLabel("Town or city").fill("Austin");
    await page.getByLabel("State").selectOption({ label: "Texas" });
    await page.getByLabel("ZIP code").fill("73301");
    await page.getByRole("button", { name: "Place order and pay" }).click();
    await expect(page.getByRole("heading", { name: /^Pay / })).toBeVisible();
  });
});
