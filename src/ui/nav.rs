//! Navigation widgets.

use leptos::prelude::*;

/// Page links: previous, numbers around the current page, next.
#[component]
pub fn Pagination<F>(page: u32, pages: u32, href: F) -> impl IntoView
where
    F: Fn(u32) -> String + 'static,
{
    if pages <= 1 {
        return ().into_any();
    }
    let mut numbers: Vec<u32> = vec![1];
    for n in page.saturating_sub(2).max(2)..=(page + 2).min(pages.saturating_sub(1)) {
        numbers.push(n);
    }
    if pages > 1 {
        numbers.push(pages);
    }
    numbers.dedup();
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < pages).then(|| href(page + 1));
    let mut items = Vec::new();
    let mut last_n = 0;
    for n in numbers {
        if n > last_n + 1 {
            items.push(view! { <li><span aria-hidden="true">"…"</span></li> }.into_any());
        }
        let current = n == page;
        items.push(
            view! {
                <li>
                    <a href=href(n) aria-current=current.then_some("page") aria-label=format!("Page {n}")>{n}</a>
                </li>
            }
            .into_any(),
        );
        last_n = n;
    }
    view! {
        <nav aria-label="Pages">
            <ul class="pagination">
                {prev.map(|h| view! { <li><a href=h rel="prev">"← Previous"</a></li> })}
                {items}
                {next.map(|h| view! { <li><a href=h rel="next">"Next →"</a></li> })}
            </ul>
        </nav>
    }
    .into_any()
}
