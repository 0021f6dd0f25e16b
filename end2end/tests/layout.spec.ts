// Layout and accessibility of every page: no page scrolls sideways on a 360 px
// phone (with and without JavaScript), axe-core finds nothing serious or critical,
// and the key pages are photographed at desktop and phone size for review (the
// screenshots are artefacts only, never compared against baselines).
//
// Each test walks one group of pages with a step per page and collects every
// problem with soft assertions, so one run names every page that is wrong and why.

import * as fs from "node:fs";
import * as path from "node:path";
import { test, expect, Browser, BrowserContext, Page, Response } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, addFirstProducts, fillAddressAndPlace, newestOrder, register, signIn, uniqueEmail,
  waitForHydration,
} from "./helpers";

type Role = "visitor" | "customer" | "admin";
type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

interface ShopPage {
  name: string;
  path: string;
  /** Whose browser opens it: a signed-out visitor, a signed-in shopper with a full cart, or the admin. */
  role: Role;
  /** The HTTP status the page answers with (200 unless given). */
  status?: number;
  /** File name stem when the page is one of the screenshots for review. */
  shot?: string;
}

interface Setup {
  states: Record<Role, StorageState>;
  shopper: ShopPage[];
  admin: ShopPage[];
}

interface Viewport {
  width: number;
  height: number;
}

const PHONE: Viewport = { width: 360, height: 740 };
const DESKTOP: Viewport = { width: 1280, height: 800 };
const PHONE_SHOT: Viewport = { width: 390, height: 844 };

/** How long one page may take to hydrate, and to be opened and checked in all. A page
 *  whose script hangs is reported as such instead of using up the whole test. */
const HYDRATION_TIMEOUT = 20_000;
const PAGE_DEADLINE = 45_000;

/** axe impacts that fail the test; "minor" and "moderate" ones are not checked here. */
const BLOCKING_IMPACTS = new Set(["serious", "critical"]);

// --- Setup: a guest order, a shopper with an order and a full cart, the admin ---

async function payWithTestCard(page: Page): Promise<void> {
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
  await expect(page.getByRole("heading", { name: "Thank you! Your payment was received." })).toBeVisible();
}

/** Makes the accounts, orders and cart the pages need and lists the pages. */
async function prepare(browser: Browser): Promise<Setup> {
  // The visitor buys as a guest and pays: the return address is the confirmation
  // page, whose signed token also opens the guest's order page. Afterwards the
  // visitor is signed out with an empty cart.
  const visitorCtx = await browser.newContext();
  const visitor = await visitorCtx.newPage();
  await addFirstProducts(visitor, 1);
  await visitor.goto("/checkout");
  await waitForHydration(visitor);
  await visitor.getByLabel("E-mail address").fill(uniqueEmail("layout-guest"));
  await fillAddressAndPlace(visitor);
  await payWithTestCard(visitor);
  const success = new URL(visitor.url());
  expect(success.pathname).toBe("/checkout/success");
  const guestOrderId = success.searchParams.get("order")!;
  const guestQuery = new URLSearchParams({ token: success.searchParams.get("token")! });

  // A product with options (clothing has sizes and colours) and one without.
  await visitor.goto("/products?category=clothing");
  const choose = visitor.locator("a.choose-options").first();
  await expect(choose, "a clothing product with options").toBeVisible();
  const optionsPath = new URL((await choose.getAttribute("href"))!, visitor.url()).pathname;
  await visitor.goto(optionsPath);
  const optionsName = (await visitor.getByRole("heading", { level: 1 }).textContent())!.trim();
  await visitor.goto("/products?in_stock=1&sort=price_asc");
  const plainLink = visitor
    .locator(".product-card")
    .filter({ has: visitor.getByRole("button", { name: /^Add .* to cart$/ }) })
    .first()
    .getByRole("heading")
    .getByRole("link");
  const plainPath = new URL((await plainLink.getAttribute("href"))!, visitor.url()).pathname;

  // The shopper registers, orders (saving the address) and fills the cart again,
  // with a plain product and one with options.
  const customerCtx = await browser.newContext();
  const customer = await customerCtx.newPage();
  await register(customer, "Layout Tester", uniqueEmail("layout"));
  await addFirstProducts(customer, 1);
  await customer.goto("/checkout");
  await waitForHydration(customer);
  await customer.getByLabel("Save this address in my address book").check();
  await fillAddressAndPlace(customer);
  const order = await newestOrder(customer);
  const orderId = order.href.split("/").pop()!;
  await addFirstProducts(customer, 1);
  await customer.goto(optionsPath);
  await waitForHydration(customer);
  const addOptions = customer.getByRole("button", { name: `Add ${optionsName} to cart` });
  if (await addOptions.isEnabled()) {
    await addOptions.click();
    await expect(customer.getByRole("status").filter({ hasText: "Added." }).first()).toBeVisible();
  }

  // The admin signs in and finds the edit page of the product with options.
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await admin.goto(`/admin/products?q=${encodeURIComponent(optionsName)}`);
  const editHref = (await admin.getByRole("link", { name: optionsName, exact: true }).first().getAttribute("href"))!;
  expect(editHref).toMatch(/^\/admin\/products\/[0-9a-f]{24}$/);

  const states: Record<Role, StorageState> = {
    visitor: await visitorCtx.storageState(),
    customer: await customerCtx.storageState(),
    admin: await adminCtx.storageState(),
  };
  await Promise.all([visitorCtx.close(), customerCtx.close(), adminCtx.close()]);

  const shopper: ShopPage[] = [
    { name: "Home", path: "/", role: "visitor", shot: "home" },
    { name: "Home, signed in", path: "/", role: "customer" },
    { name: "Product listing", path: "/products", role: "visitor", shot: "listing" },
    {
      name: "Product listing with filters",
      path: "/products?category=clothing&f=Size%3AM&min_price=10&max_price=500&in_stock=1&sort=price_desc",
      role: "visitor",
    },
    { name: "Product listing, page 2", path: "/products?page=2", role: "visitor" },
    { name: "Search results", path: "/products?q=lamp", role: "visitor" },
    { name: "Search without results", path: "/products?q=zzqxxnothingmatches", role: "visitor" },
    { name: "Category", path: "/products?category=clothing", role: "visitor" },
    { name: "Product with options", path: optionsPath, role: "visitor", shot: "product" },
    { name: "Product without options", path: plainPath, role: "visitor" },
    { name: "Cart with items", path: "/cart", role: "customer", shot: "cart" },
    { name: "Empty cart", path: "/cart", role: "visitor" },
    { name: "Checkout with items", path: "/checkout", role: "customer", shot: "checkout" },
    { name: "Payment confirmation (guest)", path: `/checkout/success?order=${guestOrderId}&${guestQuery}`, role: "visitor" },
    { name: "Sign in", path: "/login", role: "visitor" },
    { name: "Register", path: "/register", role: "visitor" },
    { name: "Password reset request", path: "/forgot-password", role: "visitor" },
    { name: "New password (from the mailed link)", path: `/reset-password?token=${"0".repeat(64)}`, role: "visitor" },
    { name: "Account", path: "/account", role: "customer" },
    { name: "Order history", path: "/account/orders", role: "customer" },
    { name: "Address book", path: "/account/addresses", role: "customer" },
    { name: "Order page", path: order.href, role: "customer" },
    { name: "Guest order page", path: `/order/${guestOrderId}?${guestQuery}`, role: "visitor" },
    { name: "Page not found", path: "/definitely/not/here", role: "visitor", status: 404 },
  ];
  const adminPages: ShopPage[] = [
    { name: "Admin home", path: "/admin", role: "admin", shot: "admin-home" },
    { name: "Admin products", path: "/admin/products", role: "admin", shot: "admin-products" },
    { name: "Admin new product", path: "/admin/products/new", role: "admin" },
    { name: "Admin product edit (with variants)", path: editHref, role: "admin" },
    { name: "Admin product import", path: "/admin/products/import", role: "admin" },
    { name: "Admin categories", path: "/admin/categories", role: "admin" },
    { name: "Admin orders", path: "/admin/orders", role: "admin" },
    { name: "Admin order", path: `/admin/orders/${orderId}`, role: "admin", shot: "admin-order" },
    { name: "Admin shipping", path: "/admin/shipping", role: "admin" },
    { name: "Admin taxes", path: "/admin/taxes", role: "admin" },
    { name: "Admin discount codes", path: "/admin/discounts", role: "admin" },
    { name: "Admin shop settings", path: "/admin/settings", role: "admin" },
  ];
  return { states, shopper, admin: adminPages };
}

// --- Checks, run inside the page ---------------------------------------------------

interface Overflow {
  scrollWidth: number;
  innerWidth: number;
  starts: string[];
  innermost: string[];
  count: number;
}

/** Runs in the browser: the document's width against the window's, and what reaches
 *  past the right edge (elements, and text running out of its box). Two kinds are
 *  named: where the overflow starts (the outermost boxes too wide for a parent that
 *  fits) and the innermost (text or boxes with nothing too wide inside). Anything
 *  inside a scrolling or clipping box, or a fixed one, cannot widen the document
 *  and is left out. */
function measureOverflow(): Overflow {
  const vw = window.innerWidth;
  const contained = (node: Node): boolean => {
    for (let a = node.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== "visible" || style.position === "fixed") return true;
    }
    return node instanceof Element && getComputedStyle(node).position === "fixed";
  };
  const label = (el: Element): string => {
    const id = el.id ? `#${el.id}` : "";
    const cls = Array.from(el.classList, (c) => `.${c}`).join("");
    const own = `${el.tagName.toLowerCase()}${id}${cls}`;
    if (id || cls || !el.parentElement) return own;
    const named = el.parentElement.closest("[class], [id]");
    return named && named !== document.body ? `${label(named)} ${own}` : own;
  };
  const rect = (node: Node): DOMRect => {
    if (node instanceof Element) return node.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(node);
    return range.getBoundingClientRect();
  };
  const describe = (node: Node): string => {
    if (node instanceof Element) return label(node);
    const text = node.textContent!.trim().replace(/\s+/g, " ");
    return `${label(node.parentElement!)} text "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
  };
  const candidates: Node[] = Array.from(document.body.querySelectorAll("*"));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent!.trim()) candidates.push(n);
  const over = candidates.filter((node) => {
    const r = rect(node);
    return r.width > 0 && r.right > vw + 1 && !contained(node);
  });
  const starts = over.filter((node) => !over.includes(node.parentElement!));
  const innermost = over.filter((node) => !starts.includes(node) && !over.some((o) => o !== node && node.contains(o)));
  const show = (nodes: Node[]): string[] =>
    nodes.map((node) => {
      const r = rect(node);
      return `${describe(node)} (${Math.round(r.width)}px wide, right edge at ${Math.round(r.right)}px)`;
    });
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: vw,
    count: over.length,
    starts: show(starts.slice(0, 3)),
    innermost: show(innermost.slice(0, 5 - Math.min(starts.length, 3))),
  };
}

async function overflowProblems(page: Page): Promise<string[]> {
  const o = await page.evaluate(measureOverflow);
  if (o.scrollWidth <= o.innerWidth) return [];
  const list = o.count
    ? `${o.count} element(s) or text(s) reach past the edge; it starts at: ${o.starts.join("; ")}` +
      (o.innermost.length ? `; innermost: ${o.innermost.join("; ")}` : "")
    : "no element or text reaches past the edge (a ::before/::after, shadow or margin?)";
  return [`scrolls sideways: document ${o.scrollWidth}px wide in a ${o.innerWidth}px window; ${list}`];
}

/** Runs axe-core on the page; lists its serious and critical violations. */
async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact != null && BLOCKING_IMPACTS.has(v.impact))
    .map((v) => {
      const targets = v.nodes.slice(0, 3).map((n) => n.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : t)).join(" > "));
      const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : "";
      const first = v.nodes[0];
      const detail = first?.any[0]?.message ?? first?.all[0]?.message ?? first?.none[0]?.message ?? "";
      return `axe ${v.id} (${v.impact}): ${v.help} — ${targets.join(" | ")}${more}${detail ? ` — e.g. ${detail}` : ""}`;
    });
}

interface Opened {
  /** False when the shop did not answer at all: there is nothing to check then. */
  loaded: boolean;
  problems: string[];
}

/** Opens a page and checks that the shop answered with it (not an error or a redirect to sign in). */
async function open(page: Page, sp: ShopPage, js: boolean): Promise<Opened> {
  let res: Response | null;
  try {
    res = await page.goto(sp.path);
  } catch (err) {
    return { loaded: false, problems: [`did not load: ${String(err).split("\n")[0]}`] };
  }
  const problems: string[] = [];
  const want = sp.status ?? 200;
  if (res?.status() !== want) problems.push(`answered ${res?.status()}, expected ${want}`);
  const wanted = new URL(sp.path, page.url());
  const got = new URL(page.url());
  if (got.pathname !== wanted.pathname) problems.push(`ended at ${got.pathname}${got.search} instead`);
  if (js) {
    // As helpers' waitForHydration, but bounded, so a page that never hydrates is reported, not waited for.
    try {
      await page.locator(".menu-toggle[data-hydrated]").waitFor({ state: "attached", timeout: HYDRATION_TIMEOUT });
    } catch {
      problems.push(`the app did not hydrate within ${HYDRATION_TIMEOUT / 1000} s`);
    }
  }
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return { loaded: true, problems };
}

/** The checks' problems, or a problem saying why they could not finish: an error, or
 *  no answer before the deadline (the page is closed afterwards, which ends the wait). */
async function finish(work: Promise<string[]>): Promise<string[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string[]>((resolve) => {
    timer = setTimeout(
      () => resolve([`no answer within ${PAGE_DEADLINE / 1000} s (is the page's script stuck?)`]),
      PAGE_DEADLINE,
    );
  });
  try {
    return await Promise.race([work, late]);
  } catch (err) {
    return [`could not be checked: ${String(err).split("\n")[0]}`];
  } finally {
    clearTimeout(timer);
  }
}

// --- Tests ---------------------------------------------------------------------------

let setup: Setup;

test.beforeAll(async ({ browser }, testInfo) => {
  // A failing test restarts the worker, which runs this hook again. The accounts and
  // orders are made once per run and kept in the run's output directory, which
  // Playwright empties when a run starts.
  testInfo.setTimeout(120_000);
  const file = path.join(testInfo.project.outputDir, "layout-setup.json");
  if (fs.existsSync(file)) {
    setup = JSON.parse(fs.readFileSync(file, "utf8")) as Setup;
    return;
  }
  setup = await prepare(browser);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(setup));
});

interface Check {
  viewport: Viewport;
  js: boolean;
  /** Whether to run axe-core too: it cannot run with JavaScript switched off (it never finishes). */
  axe: boolean;
}

/** Visits each page of a group, one step per page, and checks it; fails at the end
 *  with every problem found, each under the page's name. */
async function checkPages(browser: Browser, pages: ShopPage[], check: Check): Promise<void> {
  const size = `${check.viewport.width}×${check.viewport.height}${check.js ? "" : " without JavaScript"}`;
  const contexts = new Map<Role, BrowserContext>();
  const report: string[] = [];
  try {
    for (const sp of pages) {
      const title = `${sp.name} (${sp.path})`;
      await test.step(title, async () => {
        let ctx = contexts.get(sp.role);
        if (!ctx) {
          ctx = await browser.newContext({
            storageState: setup.states[sp.role],
            viewport: check.viewport,
            javaScriptEnabled: check.js,
          });
          contexts.set(sp.role, ctx);
        }
        const page = await ctx.newPage();
        try {
          const problems = await finish(
            (async () => {
              const { loaded, problems } = await open(page, sp, check.js);
              if (!loaded) return problems;
              return [
                ...problems,
                ...(await overflowProblems(page)),
                ...(check.axe ? await axeProblems(page) : []),
              ];
            })(),
          );
          if (problems.length) report.push(`${title}:\n  ${problems.join("\n  ")}`);
          expect.soft(problems, `${title} at ${size}`).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  } finally {
    await Promise.all([...contexts.values()].map((c) => c.close()));
    if (report.length) await test.info().attach("problems.txt", { body: report.join("\n\n"), contentType: "text/plain" });
  }
}

// Each group takes a while: axe-core needs about a second a page.
test.describe.configure({ timeout: 180_000 });

test.describe("shopper pages", () => {
  test("at 360 px with JavaScript: no sideways scrolling, no serious axe violations", async ({ browser }) => {
    await checkPages(browser, setup.shopper, { viewport: PHONE, js: true, axe: true });
  });

  test("at 360 px without JavaScript: no sideways scrolling", async ({ browser }) => {
    await checkPages(browser, setup.shopper, { viewport: PHONE, js: false, axe: false });
  });

  test("at 1280 px: no sideways scrolling, no serious axe violations", async ({ browser }) => {
    await checkPages(browser, setup.shopper, { viewport: DESKTOP, js: true, axe: true });
  });
});

test.describe("admin pages", () => {
  test("at 360 px: no sideways scrolling, no serious axe violations", async ({ browser }) => {
    await checkPages(browser, setup.admin, { viewport: PHONE, js: true, axe: true });
  });

  test("at 1280 px: no sideways scrolling, no serious axe violations", async ({ browser }) => {
    await checkPages(browser, setup.admin, { viewport: DESKTOP, js: true, axe: true });
  });
});

test("screenshots of the key pages at desktop and phone size, for review", async ({ browser }, testInfo) => {
  const shots = [...setup.shopper, ...setup.admin].filter((sp) => sp.shot);
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE_SHOT]] as const) {
    const contexts = new Map<Role, BrowserContext>();
    for (const sp of shots) {
      await test.step(`${sp.name} (${sp.path}) at ${size} size`, async () => {
        let ctx = contexts.get(sp.role);
        if (!ctx) {
          ctx = await browser.newContext({ storageState: setup.states[sp.role], viewport });
          contexts.set(sp.role, ctx);
        }
        const page = await ctx.newPage();
        const file = testInfo.outputPath(`${sp.shot}-${size}.png`);
        try {
          const problems = await finish(
            (async () => {
              const { loaded, problems } = await open(page, sp, true);
              if (!loaded) return problems;
              // A full-page shot does not scroll, so pictures further down would stay lazy and blank.
              await page.evaluate(async () => {
                const images = Array.from(document.images);
                for (const img of images) img.loading = "eager";
                await Promise.all(images.map((img) => img.decode().catch(() => undefined)));
              });
              await page.screenshot({ path: file, fullPage: true });
              await testInfo.attach(`${sp.shot}-${size}`, { path: file, contentType: "image/png" });
              return problems;
            })(),
          );
          expect.soft(problems, `${sp.name} at ${size} size`).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
    await Promise.all([...contexts.values()].map((c) => c.close()));
  }
});
