import { expect, Page, ConsoleMessage, APIRequestContext } from "@playwright/test";

export const MAILDEV_URL = process.env.MAILDEV_URL ?? "http://127.0.0.1:1080";
export const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? "admin@oxcart.test";
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "purple elephant dancing quietly";
export const PASSWORD = "correct horse battery staple";

/** Collects console errors and uncaught page errors while a test runs. A 4xx
 *  answer from a server function is an expected outcome (invalid form, please sign
 *  in), which the browser logs as "Failed to load resource": those are not errors. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() !== "error") return;
    const expected4xx =
      /Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text()) &&
      msg.location().url.includes("/api/");
    if (!expected4xx) errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

/** Waits until the WASM app has hydrated the page (it marks the menu button then). */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector(".menu-toggle[data-hydrated]") !== null);
}

export async function expectNoConsoleErrors(errors: string[]): Promise<void> {
  expect(errors, `console errors: ${errors.join("\n")}`).toEqual([]);
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits for a mail to `to` whose subject contains `subject`; returns its decoded text. */
export async function waitForMail(request: APIRequestContext, to: string, subject: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await request.get(`${MAILDEV_URL}/api/email`);
    const mails = (await res.json()) as Array<{ subject: string; text: string; to: Array<{ address: string }> }>;
    const found = mails.find((m) => m.to.some((t) => t.address === to) && m.subject.includes(subject));
    if (found) return found.text;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

export async function countMail(request: APIRequestContext, to: string, subject: string): Promise<number> {
  const res = await request.get(`${MAILDEV_URL}/api/email`);
  const mails = (await res.json()) as Array<{ subject: string; to: Array<{ address: string }> }>;
  return mails.filter((m) => m.to.some((t) => t.address === to) && m.subject.includes(subject)).length;
}

export async function register(page: Page, name: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account$/);
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
}

export async function addFirstProducts(page: Page, n: number): Promise<string[]> {
  await page.goto("/products?in_stock=1&sort=price_asc");
  await waitForHydration(page);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    // Products with options (sizes, colours) are chosen on their own page; these
    // cards have "Choose options" instead of an add button.
    const card = buyableCards(page).nth(i);
    names.push((await card.getByRole("heading").textContent())!);
    await card.getByRole("button", { name: /^Add .* to cart$/ }).click();
    await expect(card.getByRole("status")).toContainText("Added.");
  }
  await expect(page.getByTestId("cart-count")).toHaveText(String(n));
  return names;
}

/** Product cards that can go into the cart straight from the listing. */
export function buyableCards(page: Page) {
  return page.locator(".product-card").filter({ has: page.getByRole("button", { name: /^Add .* to cart$/ }) });
}

/** Fills the shipping address (US) and places the order; ends on the payment page. */
export async function fillAddressAndPlace(page: Page): Promise<void> {
  await page.getByLabel("Country").selectOption({ label: "United States" });
  await page.getByLabel("Full name").fill("Robin Reed");
  await page.getByLabel("Street and number").fill("12 Orchard Lane");
  await page.getByLabel("Town or city").fill("Springfield");
  await page.getByLabel("State").selectOption({ label: "Illinois" });
  await page.getByLabel("ZIP code").fill("62701");
  await page.getByRole("button", { name: "Place order" }).click();
  // One step: placing the order opens its payment page.
  await expect(page.getByRole("heading", { name: /^Pay / })).toBeVisible();
}

/** The newest order in the shopper's history: its number and the link to it. */
export async function newestOrder(page: Page): Promise<{ number: string; href: string }> {
  await page.goto("/account/orders");
  const link = page.locator("table a").first();
  const number = (await link.textContent())!.trim();
  return { number, href: (await link.getAttribute("href"))! };
}

