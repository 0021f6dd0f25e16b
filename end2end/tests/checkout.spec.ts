import { test, expect, Page } from "@playwright/test";
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, addFirstProducts, expectNoConsoleErrors, newestOrder, register, signIn, uniqueEmail,
  waitForHydration, waitForMail, watchConsole,
} from "./helpers";

/** The admin sets up Ontario: a zone with one method, a tax rate and a code, through the pages. */
async function setUpOntario(page: Page, code: string) {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/admin/shipping");
  await waitForHydration(page);
  const zoneName = `Ontario ${code}`;
  await page.getByLabel("Name", { exact: true }).last().fill(zoneName);
  await page.getByLabel("Countries").fill("Canada");
  await page.getByLabel("Only these regions (optional)").fill("CA-ON");
  await page.getByRole("button", { name: "Create zone" }).click();
  await expect(page.getByText("The zone was created.")).toBeVisible();
  const card = page.locator("section.zone").filter({ has: page.getByRole("heading", { name: zoneName }) });
  await expect(card).toContainText("Canada (Ontario)");
  await card.getByText("Add a delivery method").click();
  await card.getByLabel("Name").fill("Ontario courier");
  await card.getByLabel("Delivery time (optional)").fill("Next day");
  await card.getByLabel("Priced").selectOption({ label: "The same for every order" });
  await card.getByLabel("Price", { exact: true }).fill("3.00");
  await card.getByRole("button", { name: "Add method" }).click();
  await expect(card.getByRole("cell", { name: "Ontario courier", exact: true })).toBeVisible();

  await page.goto("/admin/taxes");
  await waitForHydration(page);
  if (!(await page.getByRole("cell", { name: "Canada — Ontario", exact: true }).isVisible())) {
    await page.getByLabel("Country").fill("Canada");
    await page.getByLabel("Region (optional)").fill("Ontario");
    await page.getByLabel("Name", { exact: true }).fill("HST");
    await page.getByLabel("Rate in percent").fill("13");
    await page.getByRole("button", { name: "Add rate" }).click();
    await expect(page.getByRole("cell", { name: "Canada — Ontario", exact: true })).toBeVisible();
  }

  await page.goto("/admin/discounts");
  await waitForHydration(page);
  await page.getByLabel("Code", { exact: true }).fill(code.toLowerCase());
  await page.getByLabel("Gives").selectOption({ label: "A percentage off" });
  await page.getByLabel("Percentage or amount").fill("10");
  await page.getByLabel("Uses in all (optional)").fill("5");
  await page.getByRole("button", { name: "Create code" }).click();
  await expect(page.getByText("The code was created.")).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(code) })).toContainText("0 of 5");
}

async function fillOntario(page: Page) {
  await page.getByLabel("Country").selectOption({ label: "Canada" });
  await page.getByLabel("Full name").fill("Olive Ontario");
  await page.getByLabel("Street and number").fill("24 Sussex Drive");
  await page.getByLabel("City").fill("Ottawa");
  await page.getByLabel("Province").selectOption({ label: "Ontario" });
  await page.getByLabel("Postal code").fill("K1A 0B1");
}

test("a shopper ships to Ontario with a discount code, sees tax, pays, and the mail has it all", async ({ page, browser, request }) => {
  const code = `E2E${Date.now() % 1_000_000}`;
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await setUpOntario(admin, code);

  const errors = watchConsole(page);
  const email = uniqueEmail("olive");
  await register(page, "Olive Ontario", email);
  await addFirstProducts(page, 1);
  await page.goto("/checkout");
  await waitForHydration(page);
  await fillOntario(page);
  const courier = page.getByRole("radio", { name: /Ontario courier/ });
  await expect(courier).toBeVisible();
  await courier.check();
  await page.getByLabel("Discount code (optional)").fill(code.toLowerCase());
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText(`${code}: 10 % off`)).toBeVisible();
  const totals = page.locator(".totals");
  await expect(totals).toContainText("Discount");
  await expect(totals).toContainText("HST 13 %");
  await expect(totals).toContainText("$3.00");
  const total = (await page.getByTestId("checkout-total").textContent())!;

  await page.getByRole("button", { name: "Place order and pay" }).click();
  await expect(page.getByRole("heading", { name: `Pay ${total}` })).toBeVisible();
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
  await expect(page.getByTestId("order-total")).toHaveText(total);
  await expect(page.getByText(`Discount (${code})`)).toBeVisible();
  await expect(page.getByText("Shipping: Ontario courier")).toBeVisible();
  await expect(page.locator("address")).toContainText("OTTAWA ON K1A 0B1");

  const mail = await waitForMail(request, email, "is confirmed");
  expect(mail).toContain(`Discount (${code})`);
  expect(mail).toContain("HST 13 %");
  expect(mail).toContain(`Total paid: ${total}`);
  await expectNoConsoleErrors(errors);

  // The admin sees the use counted.
  await admin.goto("/admin/discounts");
  await expect(admin.getByRole("row", { name: new RegExp(code) })).toContainText("1 of 5");
  await adminCtx.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a signed-in shopper checks out with the saved address and goes straight to paying", async ({ page, browser }) => {
    // An order first (with JavaScript), so the address is saved.
    const ctx = await browser.newContext({ javaScriptEnabled: true });
    const first = await ctx.newPage();
    const email = uniqueEmail("saved");
    await register(first, "Sam Saved", email);
    await addFirstProducts(first, 1);
    await first.goto("/checkout");
    await waitForHydration(first);
    await fillOntario(first);
    await first.getByRole("button", { name: "Place order and pay" }).click();
    await expect(first.getByRole("heading", { name: /^Pay / })).toBeVisible();
    await ctx.close();

    // Without JavaScript the sign-in form posts and lands on the account page.
    await page.goto("/login");
    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/account/);
    await page.goto("/products?in_stock=1&sort=price_asc");
    const card = page.locator(".product-card").filter({ has: page.getByRole("button", { name: /^Add .* to cart$/ }) }).first();
    await card.getByRole("button", { name: /^Add .* to cart$/ }).click();
    await page.goto("/checkout");
    await expect(page.getByLabel("Full name")).toHaveValue("Olive Ontario");
    await expect(page.getByLabel("Postal code")).toHaveValue("K1A 0B1");
    await expect(page.getByRole("radio", { name: /Ontario courier|International/ }).first()).toBeChecked();
    await page.getByRole("button", { name: "Place order and pay" }).click();
    await expect(page.getByRole("heading", { name: /^Pay / })).toBeVisible();
    const { number } = await newestOrder(page);
    expect(number).toMatch(/^OX-\d{6}$/);
  });
});
