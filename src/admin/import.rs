//! The admin's CSV page: download the catalog, upload a file to import, and
//! follow an import's progress (the page refreshes itself while it runs, with
//! or without JavaScript).

use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

use super::AdminGate;
use crate::catalog::api::{import_job, recent_imports};
use crate::catalog::types::{ImportJobView, ImportStatus};
use crate::ui::head::PageTitle;
use crate::ui::ErrorPage;

fn status_text(s: ImportStatus) -> &'static str {
    match s {
        ImportStatus::Checking => "Checking every row…",
        ImportStatus::Importing => "Importing…",
        ImportStatus::Done => "Done",
        ImportStatus::Invalid => "Not imported: the file has errors",
        ImportStatus::Failed => "Stopped by a server problem",
        ImportStatus::Interrupted => "Interrupted (the server stopped)",
    }
}

#[component]
fn JobPanel(job: ImportJobView) -> impl IntoView {
    let running = job.status.is_running();
    let total = job.products_total.max(1);
    let percent = (job.products_done * 100 / total).clamp(0, 100);
    let class = match job.status {
        ImportStatus::Done if job.error_count == 0 => "alert alert-success",
        ImportStatus::Done | ImportStatus::Checking | ImportStatus::Importing => "alert alert-info",
        _ => "alert alert-error",
    };
    view! {
        {running.then(|| view! { <Meta http_equiv="refresh" content="2" /> })}
        <section aria-labelledby="job-title" class="import-job">
            <h2 id="job-title">{format!("Import of {}", job.file_name)}</h2>
            <div class=class role="status" aria-live="polite">
                <p><strong>{status_text(job.status)}</strong></p>
                {(job.status == ImportStatus::Importing).then(|| view! {
                    <p>
                        <label for="import-progress">{format!("{} of {} products written ({percent}%)", job.products_done, job.products_total)}</label>
                        <progress id="import-progress" max=job.products_total.to_string() value=job.products_done.to_string()>{format!("{percent}%")}</progress>
                    </p>
                })}
                {(job.status == ImportStatus::Done).then(|| view! {
                    <p>{format!("{} rows: {} products created, {} updated.", job.rows, job.created, job.updated)}</p>
                })}
                {(job.status == ImportStatus::Invalid).then(|| view! {
                    <p>{format!("Nothing was written. Fix the {} problem{} below and upload the file again.", job.error_count, if job.error_count == 1 { "" } else { "s" })}</p>
                })}
                {(job.status == ImportStatus::Interrupted || job.status == ImportStatus::Failed).then(|| view! {
                    <p>"Products written before it stopped stay. Importing the same file again completes it: products are matched by handle and variants by SKU."</p>
                })}
            </div>
            {(!job.errors.is_empty()).then(|| {
                let more = job.error_count - job.errors.len() as i64;
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Problems in the file">
                        <table>
                            <caption>"Problems, by line of the file"</caption>
                            <thead><tr><th scope="col" class="num">"Line"</th><th scope="col">"Problem"</th></tr></thead>
                            <tbody>
                                {job.errors.iter().map(|e| view! {
                                    <tr><td class="num">{if e.line > 0 { e.line.to_string() } else { "—".to_string() }}</td><td>{e.message.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {(more > 0).then(|| view! { <p class="muted">{format!("…and {more} more.")}</p> })}
                }
            })}
            <p class="muted">{format!("Started {} by {}", job.started_at, job.by)}</p>
        </section>
    }
}

#[component]
pub fn AdminImportPage() -> impl IntoView {
    let query = use_query_map();
    let job_id = Memo::new(move |_| query.with(|q| q.get("job")));
    let upload_error = move || query.with(|q| q.get("error"));
    let job = Resource::new(
        move || job_id.get(),
        |id| async move {
            match id {
                Some(id) => import_job(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let recent = Resource::new(|| (), |_| recent_imports());
    view! {
        <PageTitle text="Import and export – admin" />
        <Meta name="description" content="Export the catalog as CSV and import products with their variants." />
        <AdminGate>
            <h1>"Import and export products"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match job.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(Some(j)) => view! { <JobPanel job=j /> }.into_any(),
                        Ok(None) => ().into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="export-title">
                <h2 id="export-title">"Export"</h2>
                <p>"Every product, one row per variant, in the columns of Shopify's product CSV."</p>
                <p><a class="button secondary" href="/admin/products/export.csv" download="">"Download products.csv"</a></p>
            </section>
            <section aria-labelledby="import-title">
                <h2 id="import-title">"Import"</h2>
                <p>"Products are matched by Handle and variants by Variant SKU: existing ones are updated, new ones created. A product in the file gets exactly the variants the file lists. Every row is checked first; if any is wrong, nothing is written and each problem is listed with its line."</p>
                {move || upload_error().map(|e| view! { <div class="alert alert-error" role="alert"><p>{e}</p></div> })}
                <form method="post" action="/admin/products/import/upload" enctype="multipart/form-data" class="stacked">
                    <div class="field">
                        <label for="import-file">"CSV file (UTF-8, up to 32 MB)"</label>
                        <input id="import-file" type="file" name="file" accept=".csv,text/csv" required />
                    </div>
                    <button type="submit">"Import"</button>
                </form>
            </section>
            <section aria-labelledby="recent-title">
                <h2 id="recent-title">"Recent imports"</h2>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match recent.await {
                            Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="muted">"No imports yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul>
                                    {list.into_iter().map(|j| view! {
                                        <li>
                                            <a href=format!("/admin/products/import?job={}", j.id)>{j.file_name.clone()}</a>
                                            {format!(" — {} · {} · {}", status_text(j.status), j.started_at, j.by)}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </AdminGate>
    }
}
