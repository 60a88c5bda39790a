//! The payer's invoices as Stripe keeps them, newest first, each with
//! Stripe's page for it (a receipt, or where to pay one that is due) and
//! its PDF.

use leptos::prelude::*;

use crate::billing::{load_invoices, money, InvoiceSummary};
use crate::components::feedback::ErrorPanel;
use crate::dates::long_date;

/// Shown once there is an invoice (nothing before a first purchase, or
/// where payments are not set up).
#[component]
pub fn Invoices(payer: Option<String>, asked_again: Signal<(u32, Option<String>)>) -> impl IntoView {
    let payer = StoredValue::new(payer);
    let invoices = Resource::new(move || asked_again.get(), move |_| load_invoices(payer.get_value()));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match invoices.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="panel" aria-labelledby="invoices-title">
                            <h2 id="invoices-title">"Invoices"</h2>
                            <InvoiceTable list />
                        </section>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceTable(list: Vec<InvoiceSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table invoices">
                <thead>
                    <tr>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Invoice"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="sr-only">"Links"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|invoice| {
                        let status = invoice.status_label();
                        let due = invoice.status == "open";
                        let number = invoice.number.clone().unwrap_or_else(|| "—".to_owned());
                        view! {
                            <tr>
                                <td>{long_date(invoice.created)}</td>
                                <td>{number.clone()}</td>
                                <td class="numeric">{money(invoice.total, &invoice.currency)}</td>
                                <td><span class=if due { "status status-warning" } else { "status status-ok" }>{status}</span></td>
                                <td class="invoice-links">
                                    {invoice.url.map(|url| view! {
                                        <a href=url target="_blank" rel="noopener noreferrer" aria-label=format!("{} invoice {number}", if due { "Pay" } else { "View" })>
                                            {if due { "Pay" } else { "View" }}
                                        </a>
                                    })}
                                    {invoice.pdf.map(|pdf| view! { <a href=pdf target="_blank" rel="noopener noreferrer">"PDF"</a> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
