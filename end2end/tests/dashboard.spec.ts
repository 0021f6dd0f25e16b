import { expect, test, type Page } from "@playwright/test";
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  addFirstProducts,
  fillAddressAndPlace,
  register,
  signIn,
  uniqueEmail,
} from "./helpers";

/** "$1,234.56" → 123456 (minor units). */
function cents(text: string): number {
  return Math.round(Number(text.replace(/[^0-9.]/g, "")) * 100);
}

async function todayFigures(page: Page): Promise<{ revenue: number; orders: number; toShip: number }> {
  await page.goto("/admin");
  const today = page.getByTestId("kpi-today");
  await expect(today).toBeVisible();
  return {
    revenue: cents((await today.getByTestId("revenue").textContent())!),
    orders: Number(await today.getByTestId("orders").textContent()),
    toShip: Number(await page.getByTestId("to-ship").textContent()),
  };
}

test("the dashboard counts an order the moment it is paid", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  const before = await todayFigures(admin);
  await expect(admin.locator("figure.chart svg")).toBeVisible();
  await expect(admin.getByRole("heading", { name: "Waiting to ship" })).toBeVisible();

  // A shopper buys two products and pays with the test card.
  const shopperContext = await browser.newContext();
  const shopper = await shopperContext.newPage();
  await register(shopper, "Dana Dashboard", uniqueEmail("dash"));
  await addFirstProducts(shopper, 2);
  await shopper.goto("/checkout");
  await fillAddressAndPlace(shopper);
  const heading = (await shopper.getByRole("heading", { name: /^Pay / }).textContent())!;
  const total = cents(heading);
  await shopper.getByLabel("Card number").fill("4242 4242 4242 4242");
  await shopper.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await shopper.getByLabel("CVC").fill("123");
  await shopper.getByRole("button", { name: /^Pay / }).click();
  await expect(shopper.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();

  const after = await todayFigures(admin);
  expect(after.orders).toBe(before.orders + 1);
  expect(after.revenue - before.revenue).toBe(total);
  expect(after.toShip).toBe(before.toShip + 1);
  // The chart's table has today's figures too (no JavaScript needed to read them).
  await admin.getByText("Show the figures as a table").click();
  const todayRow = admin.locator("details.chart-table tbody tr").first();
  expect(cents((await todayRow.locator("td").nth(2).textContent())!)).toBe(after.revenue);
  await adminContext.close();
  await shopperContext.close();
});
