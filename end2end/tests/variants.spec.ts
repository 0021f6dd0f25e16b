import { test, expect, Page } from "@playwright/test";
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, expectNoConsoleErrors, fillAddressAndPlace, newestOrder, register, signIn, uniqueEmail,
  waitForHydration, watchConsole,
} from "./helpers";

const M_BLUE = "Size: M · Colour: Blue";
const M_RED = "Size: M · Colour: Red";

/** The swatch of one option value; a sold-out or missing combination says so in its name. */
function radio(page: Page, value: string) {
  return page.getByRole("radio", { name: new RegExp(`^${value}( \\((sold out|not available)\\))?$`) });
}

/** Row of the variant table: [price, stock] per combination. */
const TABLE: Array<[string, string, string]> = [
  ["Size: S · Colour: Red", "20.00", "5"],
  ["Size: S · Colour: Blue", "20.00", "0"],
  [M_RED, "22.00", "5"],
  [M_BLUE, "25.00", "3"],
];

/** The admin builds a T-shirt with Size × Colour through the admin pages; returns its page address. */
async function createTee(page: Page, name: string): Promise<string> {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/admin/products/new");
  await waitForHydration(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("A T-shirt in two sizes and two colours.");
  await page.getByLabel("Price").fill("20");
  await page.getByLabel("Opening stock").fill("0");
  await page.getByLabel("Category").selectOption({ index: 1 });
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText("The product was created.")).toBeVisible();
  // The product form is a plain multipart post: the edit page is a new page load,
  // and the checks below are of the app's inline messages.
  await waitForHydration(page);

  await page.getByLabel("Option 1 name").fill("Size");
  await page.getByLabel("Option 1 values").fill("S, M");
  await page.getByLabel("Option 2 name").fill("Colour");
  await page.getByLabel("Option 2 values").fill("Red, Blue");
  await page.getByRole("button", { name: "Save options and build variants" }).click();
  await expect(page.getByText("Options saved; the variant table below has every combination.")).toBeVisible();

  for (const [label, price] of TABLE) {
    await page.getByLabel(`Price of ${label}`, { exact: true }).fill(price);
  }
  // A bad price is refused in its own cell, and nothing is lost.
  await page.getByLabel(`Price of ${M_RED}`, { exact: true }).fill("twenty");
  await page.getByRole("button", { name: "Save variants" }).click();
  await expect(page.locator(".field-error").first()).toBeVisible();
  await expect(page.getByLabel(`Price of ${M_BLUE}`, { exact: true })).toHaveValue("25.00");
  await page.getByLabel(`Price of ${M_RED}`, { exact: true }).fill("22.00");
  await page.getByRole("button", { name: "Save variants" }).click();
  await expect(page.getByText("Variants saved.")).toBeVisible();

  // Stock has one way in: an adjustment per variant, each kept in the history.
  for (const [index, [label, , stock]] of TABLE.entries()) {
    if (stock === "0") continue;
    await page.getByLabel("Variant", { exact: true }).selectOption({ index });
    await page.getByLabel("Change", { exact: true }).fill(stock);
    await page.getByLabel("Note (optional)").fill(`First delivery of ${label}`);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByText(`Stock is now ${stock}.`)).toBeVisible();
    await expect(page.getByRole("cell", { name: `First delivery of ${label}` })).toBeVisible();
  }

  await page.goto(`/products?q=${encodeURIComponent(name)}`);
  const card = page.locator(".product-card").filter({ hasText: name }).first();
  await expect(card.locator(".current-price")).toHaveText("from $20.00");
  await expect(card.getByRole("link", { name: /Choose options/ })).toBeVisible();
  await card.getByRole("heading").getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  return new URL(page.url()).pathname;
}

test("an admin builds sizes and colours, a shopper picks one and buys it", async ({ page, browser }) => {
  const errors = watchConsole(page);
  const name = `Variant Tee ${Date.now()}`;
  const path = await createTee(page, name);

  // The shopper, with JavaScript.
  const ctx = await browser.newContext();
  const shopper = await ctx.newPage();
  const shopperErrors = watchConsole(shopper);
  await register(shopper, "Vera Variant", uniqueEmail("vera"));
  await shopper.goto(path);
  await waitForHydration(shopper);
  await radio(shopper, "M").check();
  await radio(shopper, "Blue").check();
  await expect(shopper.getByTestId("variant-price")).toHaveText("$25.00");
  await expect(shopper.getByTestId("variant-stock")).toHaveText("Only 3 left");
  await expect(shopper).toHaveURL(/[?&]variant=/);

  // S in Blue is sold out: marked on the swatch, and the button says so.
  await radio(shopper, "S").check();
  await expect(shopper.getByTestId("variant-stock")).toHaveText("Out of stock");
  const add = shopper.getByRole("button", { name: `Add ${name} to cart` });
  await expect(add).toBeDisabled();
  await expect(add).toHaveText("Unavailable");

  await radio(shopper, "M").check();
  await expect(add).toBeEnabled();
  await add.click();
  await expect(shopper.getByRole("status")).toContainText("Added. You have 1 in your cart.");

  await shopper.goto("/cart");
  await expect(shopper.getByText(M_BLUE, { exact: true })).toBeVisible();
  await shopper.getByRole("link", { name: "Go to checkout" }).click();
  await fillAddressAndPlace(shopper);
  await shopper.goto((await newestOrder(shopper)).href);
  await expect(shopper.getByText(M_BLUE, { exact: true }).first()).toBeVisible();
  await expect(shopper.getByText("$25.00").first()).toBeVisible();
  await expectNoConsoleErrors(shopperErrors);
  await ctx.close();

  // The admin sees the stock of that one variant go down, in its history too.
  await page.goto(`/admin/products?q=${encodeURIComponent(name)}`);
  await page.getByRole("link", { name }).first().click();
  const stockOf = (label: string) =>
    page.locator(".variant-table tbody tr").filter({ hasText: label }).locator("td.num");
  await expect(stockOf(M_BLUE)).toHaveText("2");
  await expect(stockOf(M_RED)).toHaveText("5");
  await expectNoConsoleErrors(errors);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a shopper picks a size and colour with plain forms", async ({ page, browser }) => {
    const name = `Plain Tee ${Date.now()}`;
    const adminCtx = await browser.newContext({ javaScriptEnabled: true });
    const admin = await adminCtx.newPage();
    const path = await createTee(admin, name);
    await adminCtx.close();

    await page.goto(path);
    await radio(page, "M").check();
    await radio(page, "Red").check();
    await page.getByRole("button", { name: "Show price and availability" }).click();
    await expect(page).toHaveURL(/option1=M/);
    await expect(page).toHaveURL(/option2=Red/);
    await expect(page.getByTestId("variant-price")).toHaveText("$22.00");
    await expect(page.getByTestId("variant-stock")).toHaveText("Only 5 left");
    await expect(radio(page, "M")).toBeChecked();
    await page.getByRole("button", { name: `Add ${name} to cart` }).click();
    await expect(page).toHaveURL(/\/cart\?added=1/);
    await expect(page.getByText(M_RED, { exact: true })).toBeVisible();
  });
});
