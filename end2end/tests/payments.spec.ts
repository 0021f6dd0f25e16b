import { test, expect } from "@playwright/test";
import {
  addFirstProducts, countMail, expectNoConsoleErrors, fillAddressAndPlace, newestOrder, register, uniqueEmail,
  waitForHydration, waitForMail, watchConsole,
} from "./helpers";

async function payWith(page: import("@playwright/test").Page, card: string) {
  await page.getByLabel("Card number").fill(card);
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
}

test("browse, cart, checkout, pay with the test card, see it paid and get the mail", async ({ page, request }) => {
  const errors = watchConsole(page);
  const email = uniqueEmail("payer");
  await register(page, "Paula Payer", email);
  await addFirstProducts(page, 1);
  await page.goto("/cart");
  await page.getByRole("link", { name: "Go to checkout" }).click();
  await waitForHydration(page);
  await fillAddressAndPlace(page);
  // Placing the order went straight to paying it.
  const total = (await page.getByRole("heading", { name: /^Pay / }).textContent())!.replace("Pay ", "").trim();
  await payWith(page, "4242 4242 4242 4242");
  await expect(page).toHaveURL(/\/checkout\/success\?order=/);
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
  await expect(page.locator(".status").first()).toHaveText("Paid");
  await expect(page.getByTestId("order-total")).toHaveText(total);
  const { number } = await newestOrder(page);

  const mail = await waitForMail(request, email, "is confirmed");
  expect(mail).toContain(number);
  expect(mail).toContain(total);
  expect(mail).toContain("12 Orchard Lane");
  expect(await countMail(request, email, "is confirmed")).toBe(1);

  await page.goto("/account/orders");
  await expect(page.getByRole("row", { name: new RegExp(number) })).toContainText("Paid");
  await expectNoConsoleErrors(errors);
});

test("a declined card leaves the order unpaid, and paying again works", async ({ page }) => {
  await register(page, "Dee Declined", uniqueEmail("declined"));
  await addFirstProducts(page, 1);
  await page.goto("/checkout");
  await waitForHydration(page);
  await fillAddressAndPlace(page);
  await payWith(page, "4000 0000 0000 0002");
  await expect(page.getByRole("alert")).toHaveText("Your card was declined.");
  await page.getByRole("link", { name: "Cancel and return to the shop" }).click();
  await expect(page.getByText("The payment was not completed.")).toBeVisible();
  const orderPage = page.url();
  await expect(page.locator(".page-header .status")).toHaveText("Awaiting payment");

  await waitForHydration(page);
  await page.getByRole("button", { name: "Pay now" }).click();
  await payWith(page, "4242 4242 4242 4242");
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
  await page.goto(orderPage.split("?")[0]);
  await expect(page.locator(".page-header .status")).toHaveText("Paid");
});
