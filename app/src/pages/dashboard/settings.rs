//! `/app/w/:id/settings`: the workspace at a glance, its business hours,
//! email follow-up, service level targets, ticket categories and routing,
//! identified visitors and their plans, canned replies, its audit
//! log, and leaving it.

use leptos::prelude::*;

use super::business_hours::BusinessHoursPanel;
use super::canned_replies::CannedRepliesPanel;
use super::email_followup::EmailFollowupPanel;
use super::service_targets::ServiceTargetsPanel;
use super::team::LeaveSection;
use super::ticket_categories::TicketCategoriesPanel;
use super::ticket_routing::TicketRoutingPanel;
use super::visitor_identity::VisitorIdentityPanel;
use super::{plan_label, use_workspace_id, Here, InWorkspace, PageHeader};
use crate::audit::{audit_log, describe_action};
use crate::business_hours::load_business_hours;
use crate::canned_replies::list_canned;
use crate::components::feedback::{ErrorPanel, Loading, NotAllowed};
use crate::components::format::Time;
use crate::email_followup::load_email_followup;
use crate::permissions::Action;
use crate::routing::load_routing;
use crate::sla::load_sla_policy;
use crate::ticket_categories::load_ticket_categories;
use crate::visitor_identity::load_identity;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let workspace_id = use_workspace_id();
    let hours = Resource::new(move || workspace_id.get(), load_business_hours);
    let followup = Resource::new(move || workspace_id.get(), load_email_followup);
    let targets = Resource::new(move || workspace_id.get(), load_sla_policy);
    let categories = Resource::new(move || workspace_id.get(), load_ticket_categories);
    let routing = Resource::new(move || workspace_id.get(), load_routing);
    let canned = Resource::new(move || workspace_id.get(), list_canned);
    let identity = Resource::new(move || workspace_id.get(), load_identity);
    view! {
        <PageHeader title="Settings" lead="This workspace, its business hours, email follow-up, service level targets, ticket categories and routing, identified visitors and their plans, canned replies, and a record of who did what in it." />
        <InWorkspace render=move |here: Here| {
            let audit = if here.can(Action::ViewAuditLog) {
                view! { <AuditTable workspace_id=here.workspace.id.clone() /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="read the audit log" /> }.into_any()
            };
            view! {
                <section class="panel" aria-labelledby="workspace-title">
                    <h2 id="workspace-title">"Workspace"</h2>
                    <dl class="facts">
                        <div>
                            <dt>"Name"</dt>
                            <dd>{here.workspace.name.clone()}</dd>
                        </div>
                        <div>
                            <dt>"Plan"</dt>
                            <dd>{plan_label(&here.workspace.plan)} " · " <a href=here.path("/billing")>"Billing"</a></dd>
                        </div>
                        <div>
                            <dt>"Your role"</dt>
                            <dd>{here.role().label()}</dd>
                        </div>
                        <div>
                            <dt>"Workspace ID"</dt>
                            <dd><code>{here.workspace.id.clone()}</code></dd>
                        </div>
                    </dl>
                    <p class="muted small">"Renaming and deleting a workspace are coming soon."</p>
                </section>
                <BusinessHoursPanel here=here.clone() setup=hours />
                <EmailFollowupPanel here=here.clone() setup=followup />
                <ServiceTargetsPanel here=here.clone() setup=targets />
                <TicketCategoriesPanel here=here.clone() setup=categories />
                <TicketRoutingPanel here=here.clone() setup=routing />
                <VisitorIdentityPanel here=here.clone() setup=identity />
                <CannedRepliesPanel here=here.clone() setup=canned />
                <section class="panel" aria-labelledby="audit-title">
                    <h2 id="audit-title">"Audit log"</h2>
                    <p class="muted">"Security events in this workspace, newest first: logins, invitations, role changes and keys."</p>
                    {audit}
                </section>
                <LeaveSection here />
            }
        } />
    }
}

#[component]
fn AuditTable(workspace_id: String) -> impl IntoView {
    let events = Resource::new(|| (), move |_| audit_log(workspace_id.clone()));
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the audit log…" /> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(events) if events.is_empty() => view! { <p class="muted">"No events yet."</p> }.into_any(),
                    Ok(events) => view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Audit log, scrollable">
                            <table class="table audit">
                                <thead>
                                    <tr>
                                        <th scope="col">"When"</th>
                                        <th scope="col">"Who"</th>
                                        <th scope="col">"What"</th>
                                        <th scope="col">"Details"</th>
                                        <th scope="col">"From"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {events
                                        .into_iter()
                                        .map(|event| view! {
                                            <tr>
                                                <td class="nowrap"><Time at=event.at /></td>
                                                <td>{if event.actor.is_empty() { "—".to_string() } else { event.actor }}</td>
                                                <td>
                                                    {describe_action(&event.action)}
                                                    <span class="muted small code-hint">{format!(" ({})", event.action)}</span>
                                                </td>
                                                <td>{event.detail}</td>
                                                <td class="nowrap">{event.client_addr}</td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
