import { test, expect } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, expectNoConsoleErrors, signIn, waitForHydration, watchConsole } from "./helpers";

function prices(texts: string[]): number[] {
  return texts.map((t) => Number(t.replace(/[^0-9.]/g, "")));
}

test("a shopper searches, filters by category and price, sorts, pages and opens a product", async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto("/");
  await waitForHydration(page);
  await page.getByLabel("Search products").fill("lamp");
  await page.getByLabel("Search products").press("Enter");
  await expect(page).toHaveURL(/\/products\?q=lamp/);
  await expect(page.getByRole("heading", { name: "Results for “lamp”" })).toBeVisible();

  // Category facet.
  await page.getByRole("navigation", { name: "Categories" }).getByRole("link", { name: "Lighting" }).click();
  await expect(page).toHaveURL(/category=lighting/);
  await expect(page.getByRole("status").first()).toContainText("Showing 1–");

  // Price range and sort.
  await page.getByLabel("From", { exact: true }).fill("20");
  await page.getByLabel("To", { exact: true }).fill("400");
  await page.getByLabel("Sort by").selectOption("price_asc");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/min_price=20.*max_price=400.*sort=price_asc/);
  const shown = prices(await page.locator(".product-card .current-price").allTextContents());
  expect(shown.length).toBeGreaterThan(0);
  expect(shown).toEqual([...shown].sort((a, b) => a - b));
  // A card saying "from" may start below the range: one of its variants is in it.
  const fixed = prices((await page.locator(".product-card .current-price").allTextContents()).filter((t) => !t.includes("from")));
  expect(Math.min(...fixed)).toBeGreaterThanOrEqual(20);
  expect(Math.max(...shown)).toBeLessThanOrEqual(400);

  // Pages, through the whole catalog.
  await page.goto("/products?sort=newest");
  await expect(page.getByRole("navigation", { name: "Pages" })).toBeVisible();
  const firstOnPage1 = await page.locator(".product-card h3").first().textContent();
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByRole("link", { name: "Page 2", exact: true })).toHaveAttribute("aria-current", "page");
  expect(await page.locator(".product-card h3").first().textContent()).not.toEqual(firstOnPage1);
  // Back button returns to page 1 with the same results.
  await page.goBack();
  await expect(page.locator(".product-card h3").first()).toHaveText(firstOnPage1!);

  // Open a product.
  const name = (await page.locator(".product-card h3 a").first().textContent())!;
  await page.locator(".product-card h3 a").first().click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page.locator("meta[property='og:title']")).toHaveAttribute("content", name);
  await expectNoConsoleErrors(errors);
});

test("an empty search explains what to try", async ({ page }) => {
  await page.goto("/products?q=zzqqxxnothing");
  await expect(page.getByText("No products match your search.")).toBeVisible();
  await expect(page.getByRole("link", { name: "See all products" })).toBeVisible();
});



test("an admin creates a product with a picture and finds it in the shop", async ({ page }) => {
  const errors = watchConsole(page);
  const name = `Playwright Teapot ${Date.now()}`;
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto("/admin/products/new");
  await waitForHydration(page);
  // A real picture: a PNG of part of this page, 480×360, chosen in the same
  // form as the details, before the product exists.
  const png = await page.screenshot({ clip: { x: 0, y: 0, width: 480, height: 360 } });
  const file = { name: "teapot.png", mimeType: "image/png", buffer: png };
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("A teapot made for end-to-end tests.");
  await page.getByLabel("Price").fill("-3");
  await page.getByLabel("Opening stock").fill("7");
  await page.getByLabel("Category").selectOption({ label: "Kitchen" });
  await page.getByLabel("Add pictures").setInputFiles(file);
  await page.getByLabel("Describe the new pictures").fill("A white teapot");
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText("The price cannot be negative.").first()).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Describe the new pictures")).toHaveValue("A white teapot");
  await page.getByLabel("Price").fill("34.50");
  await page.getByLabel("Add pictures").setInputFiles(file);
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByText("The product was created.")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Remove picture 1" })).toBeVisible();
  await expect(page.getByRole("cell", { name: "Opening stock" })).toBeVisible();

  await page.goto(`/products?q=${encodeURIComponent(name)}`);
  const card = page.locator(".product-card").first();
  await expect(card.getByRole("heading")).toHaveText(name);
  await expect(card.locator("img")).toHaveAttribute("src", /^\/images\/[0-9a-f]{16}-\d+\.webp$/);
  await expect(card.locator("img")).toHaveAttribute("srcset", /160w, .*320w, .*480w$/);
  await expect(card.locator(".price")).toHaveText("$34.50");
  await card.getByRole("link", { name }).click();
  await expect(page.getByRole("img", { name: "A white teapot" })).toBeVisible();
  await expectNoConsoleErrors(errors);
});

test("search suggestions show picture, name and price, and open the product", async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto("/");
  await waitForHydration(page);
  const box = page.getByRole("combobox", { name: "Search products" });
  await box.fill("lamp");
  const list = page.getByRole("listbox", { name: "Suggested products" });
  await expect(list).toBeVisible();
  const options = list.getByRole("option");
  await expect(options.first()).toBeVisible();
  const first = options.first();
  await expect(first.locator("img.thumb")).toHaveAttribute("src", /\/images\/[0-9a-f]{16}-\d+\.webp$|placeholder/);
  await expect(first.locator(".s-price")).toHaveText(/\$\d/);
  const name = (await first.locator(".s-name").textContent())!;
  expect(name.toLowerCase()).toContain("lamp");

  // Keyboard: down to the first suggestion, Enter opens its product page.
  await box.press("ArrowDown");
  await expect(first).toHaveAttribute("aria-selected", "true");
  await expect(box).toHaveAttribute("aria-activedescendant", (await first.getAttribute("id"))!);
  await box.press("Enter");
  await expect(page).toHaveURL(/\/products\/[a-z0-9-]+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();

  // Escape closes the list; a click on a suggestion opens that product too.
  const box2 = page.getByRole("combobox", { name: "Search products" });
  await box2.fill("oak");
  await expect(list).toBeVisible();
  await box2.press("Escape");
  await expect(list).toBeHidden();
  await box2.fill("oak");
  await expect(list).toBeVisible();
  const chosen = list.getByRole("option").first();
  const chosenName = (await chosen.locator(".s-name").textContent())!;
  await chosen.click();
  await expect(page.getByRole("heading", { level: 1, name: chosenName })).toBeVisible();
  await expectNoConsoleErrors(errors);
});
