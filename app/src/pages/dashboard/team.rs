//! `/app/w/:id/team`: members, invitations, roles, suspension, removal,
//! ownership, and leaving.

use leptos::prelude::*;

use super::{Here, InWorkspace, PageHeader, Session};
use crate::components::feedback::{Confirm, ErrorPanel, Loading, NotAllowed};
use crate::components::format::{initials, Time};
use crate::components::forms::{explain, on_success, Field, FormAlert, Outcome, Submit, Tone};
use crate::components::meter::Meter;
use crate::permissions::{Action, Role};
use crate::plans::{entitlements, Product, Tier};
use crate::team::{
    team, ChangeMemberRole, InviteMember, LeaveWorkspace, Member, PendingInvitation, RemoveMember, RevokeInvitation,
    SetMemberSuspended, TeamView, TransferOwnership,
};
use crate::validate::EMAIL_MAX;

#[component]
pub fn TeamPage() -> impl IntoView {
    // Outlives a re-render of the page (e.g. after ownership moves), so
    // the confirmation stays on screen.
    let flash = RwSignal::new(None::<String>);
    view! {
        <PageHeader title="Team" lead="Who works in this workspace, and what each person may do." />
        <InWorkspace render=move |here: Here| {
            let manager = if here.can(Action::ManageTeam) {
                view! { <TeamManager here=here.clone() flash /> }.into_any()
            } else {
                view! { <NotAllowed role=here.role() what="manage the team" /> }.into_any()
            };
            view! {
                {manager}
                <LeaveSection here />
            }
        } />
    }
}

/// Everything an owner or admin uses to manage the team.
#[component]
fn TeamManager(here: Here, flash: RwSignal<Option<String>>) -> impl IntoView {
    let revision = RwSignal::new(0_u32);
    let workspace_id = here.workspace.id.clone();
    let view_of_team = Resource::new(move || revision.get(), move |_| team(workspace_id.clone()));
    let changed = Callback::new(move |message: String| {
        flash.set(Some(message));
        revision.update(|n| *n += 1);
    });
    let invite_form = view! { <InviteForm here=here.clone() changed /> };
    let lists = move || {
        let here = here.clone();
        Suspend::new(async move {
            match view_of_team.await {
                Ok(team) => view! {
                    {seats(&team, &here)}
                    <Members members=team.members here=here.clone() changed />
                    <Invitations invitations=team.invitations here changed />
                }
                .into_any(),
                Err(error) => view! { <ErrorPanel error /> }.into_any(),
            }
        })
    };
    view! {
        <p class="flash" role="status">{move || flash.get()}</p>
        {invite_form}
        <Transition fallback=|| view! { <Loading label="Loading the team…" /> }>{lists}</Transition>
        <RolesExplained />
    }
}

/// The plan's seats drawn against the active members and open invitations
/// that take them; none on a plan without a limit.
fn seats(team: &TeamView, here: &Here) -> Option<impl IntoView> {
    let seats = entitlements(Product::SupportBot, Tier::of_plan(&team.workspace.plan)).seats?;
    let taken = u64::from(team.seats_taken());
    let full = taken >= u64::from(seats);
    let billing = here.can(Action::ManageBilling).then(|| format!("/app/w/{}/billing", here.workspace.id));
    Some(view! {
        <section class="panel seats" aria-label="Seats">
            <Meter id="meter-seats" label="Seats taken (members and open invitations)" used=taken max=u64::from(seats)
                text=format!("{taken} of {seats}") />
            {full.then(|| match billing {
                Some(href) => view! {
                    <p class="muted small">"Every seat is taken. " <a href=href>"Upgrade for more seats"</a>", or revoke an invitation."</p>
                }
                .into_any(),
                None => view! { <p class="muted small">"Every seat is taken: the workspace's owner can upgrade for more."</p> }.into_any(),
            })}
        </section>
    })
}

/// The roles someone with `role` may grant, least powerful first.
fn grantable(role: Role) -> Vec<Role> {
    Role::ALL.into_iter().rev().filter(|r| role.outranks_or_equals(*r)).collect()
}

/// A role picker. `label_suffix` is read by screen readers only, to tell
/// apart the pickers of different members.
#[component]
fn RoleSelect(
    id: String,
    roles: Vec<Role>,
    selected: Role,
    #[prop(optional, into)] label_suffix: Option<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = move || error.get().is_some().to_string();
    view! {
        <div class="field">
            <label for=id.clone()>"Role" {label_suffix.map(|s| view! { <span class="sr-only">{format!(" {s}")}</span> })}</label>
            <select id=id name="role" aria-invalid=invalid aria-describedby=error_id.clone()>
                {roles
                    .into_iter()
                    .map(|role| view! { <option value=role.as_str() selected=role == selected>{role.label()}</option> })
                    .collect_view()}
            </select>
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

#[component]
fn InviteForm(here: Here, changed: Callback<String>) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let outcome = Outcome::of(invite);
    let form = NodeRef::<leptos::html::Form>::new();
    on_success(invite, move |_| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        changed.run("Invitation sent. It's listed under pending invitations until it's accepted.".to_string());
    });
    view! {
        <section class="panel" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <p class="muted">"They'll get an email with a link to join. Invitations expire after a week."</p>
            <ActionForm action=invite node_ref=form attr:class="form-row" attr:novalidate="novalidate">
                <input type="hidden" name="workspace_id" value=here.workspace.id.clone() />
                <FormAlert message=outcome.message() />
                <Field name="email" label="Email address" kind="email" max=EMAIL_MAX error=outcome.field("email")
                    autocomplete="off" required=true />
                <RoleSelect id="invite-role".to_string() roles=grantable(here.role()) selected=Role::Agent error=outcome.field("role") />
                <div class="form-row-submit">
                    <Submit label="Send invitation" busy="Sending…" pending=invite.pending() />
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Members(members: Vec<Member>, here: Here, changed: Callback<String>) -> impl IntoView {
    let count = members.len();
    view! {
        <section class="panel" aria-labelledby="members-title">
            <h2 id="members-title">"Members " <span class="count">{count}</span></h2>
            <ul class="member-list">
                {members
                    .into_iter()
                    .map(|member| view! { <MemberRow member here=here.clone() changed /> })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// The first error among a row's actions, as text.
fn first_error(outcomes: Vec<Outcome>) -> Signal<Option<String>> {
    Signal::derive(move || outcomes.iter().find_map(|o| o.error()).map(|e| explain(&e)))
}

#[component]
fn MemberRow(member: Member, here: Here, changed: Callback<String>) -> impl IntoView {
    let me = here.role();
    let is_me = member.user_id == here.viewer.user_id;
    let manageable = !is_me && me.allows(Action::ManageTeam) && me.outranks_or_equals(member.role);
    let can_transfer = me.allows(Action::TransferOwnership) && member.role != Role::Owner && !member.suspended;

    let change_role = ServerAction::<ChangeMemberRole>::new();
    let suspend = ServerAction::<SetMemberSuspended>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let transfer = ServerAction::<TransferOwnership>::new();
    let error =
        first_error(vec![Outcome::of(change_role), Outcome::of(suspend), Outcome::of(remove), Outcome::of(transfer)]);
    let name = member.name.clone();
    let session = Session::get();
    {
        let name = name.clone();
        on_success(change_role, move |_| changed.run(format!("Changed {name}'s role.")));
    }
    {
        let (name, now_suspended) = (name.clone(), !member.suspended);
        on_success(suspend, move |_| {
            changed.run(if now_suspended {
                format!("Suspended {name}. They can't use this workspace until you reinstate them.")
            } else {
                format!("Reinstated {name}.")
            })
        });
    }
    {
        let name = name.clone();
        on_success(remove, move |_| changed.run(format!("Removed {name} from the workspace.")));
    }
    {
        let name = name.clone();
        on_success(transfer, move |_| {
            changed.run(format!("{name} is now an owner of this workspace, and you're an admin."));
            session.refresh();
        });
    }

    let ids = StoredValue::new((here.workspace.id.clone(), member.user_id.clone()));
    let hidden_ids = move || {
        let (workspace_id, user_id) = ids.get_value();
        view! {
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="user_id" value=user_id />
        }
    };
    let manage = manageable.then(|| {
        let workspace_name = &here.workspace.name;
        let select_id = format!("role-{}", member.user_id);
        let suffix = format!("for {name}");
        let transfer_text = format!(
            "Make {name} an owner of {workspace_name}? You'll become an admin; they'll be able to manage billing \
             and the team, and to transfer ownership."
        );
        let transfer_label = format!("Yes, make {name} owner");
        let remove_text = format!("Remove {name} from {workspace_name}? They lose access at once. What they did here stays.");
        let remove_label = format!("Yes, remove {name}");
        let suspended = member.suspended;
        view! {
            <details class="manage">
                <summary class="button button-small">"Manage" <span class="sr-only">{format!(" {name}")}</span></summary>
                <div class="manage-panel">
                    <ActionForm action=change_role attr:class="form-row">
                        {hidden_ids()}
                        <RoleSelect id=select_id roles=grantable(me) selected=member.role label_suffix=suffix />
                        <div class="form-row-submit">
                            <Submit label="Change role" busy="Saving…" pending=change_role.pending() tone=Tone::Plain small=true />
                        </div>
                    </ActionForm>
                    <div class="manage-actions">
                        <ActionForm action=suspend>
                            {hidden_ids()}
                            <input type="hidden" name="suspended" value=(!suspended).to_string() />
                            <Submit
                                label=if suspended { "Reinstate" } else { "Suspend" }
                                busy="Saving…" pending=suspend.pending() tone=Tone::Plain small=true />
                        </ActionForm>
                        {can_transfer.then(|| view! {
                            <Confirm label="Make owner">
                                <p>{transfer_text}</p>
                                <ActionForm action=transfer>
                                    {hidden_ids()}
                                    <Submit label=transfer_label busy="Transferring…" pending=transfer.pending() small=true />
                                </ActionForm>
                            </Confirm>
                        })}
                        <Confirm label="Remove" danger=true>
                            <p>{remove_text}</p>
                            <ActionForm action=remove>
                                {hidden_ids()}
                                <Submit label=remove_label busy="Removing…" pending=remove.pending() tone=Tone::Danger small=true />
                            </ActionForm>
                        </Confirm>
                    </div>
                    {suspended.then(|| view! { <p class="muted small">"Suspended members keep their account but can't open this workspace."</p> })}
                </div>
            </details>
        }
    });
    view! {
        <li class="member">
            <span class="avatar" aria-hidden="true">{initials(&member.name)}</span>
            <div class="member-who">
                <span class="member-name">{member.name.clone()} {is_me.then_some(" (you)")}</span>
                <span class="member-email">{member.email.clone()}</span>
            </div>
            <div class="member-facts">
                <span class=format!("role-badge role-{}", member.role.as_str())>{member.role.label()}</span>
                <span class="status" class:status-suspended=member.suspended>
                    {if member.suspended { "Suspended" } else { "Active" }}
                </span>
                <span class="muted small">"Joined " <Time at=member.joined_at date_only=true /></span>
            </div>
            {manage}
            <p class="form-error member-error" role="alert">{move || error.get()}</p>
        </li>
    }
}

#[component]
fn Invitations(invitations: Vec<PendingInvitation>, here: Here, changed: Callback<String>) -> impl IntoView {
    let list = if invitations.is_empty() {
        view! { <p class="muted">"No pending invitations."</p> }.into_any()
    } else {
        view! {
            <ul class="invite-list">
                {invitations
                    .into_iter()
                    .map(|invitation| view! { <InvitationRow invitation here=here.clone() changed /> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="panel" aria-labelledby="invitations-title">
            <h2 id="invitations-title">"Pending invitations"</h2>
            {list}
        </section>
    }
}

#[component]
fn InvitationRow(invitation: PendingInvitation, here: Here, changed: Callback<String>) -> impl IntoView {
    let revoke = ServerAction::<RevokeInvitation>::new();
    let outcome = Outcome::of(revoke);
    let email = invitation.email.clone();
    on_success(revoke, move |_| changed.run(format!("Revoked the invitation for {email}.")));
    view! {
        <li class="invite">
            <div class="member-who">
                <span class="member-name">{invitation.email.clone()}</span>
                <span class="muted small">
                    "Invited by " {invitation.invited_by.clone()} " · expires " <Time at=invitation.expires_at />
                </span>
            </div>
            <span class=format!("role-badge role-{}", invitation.role.as_str())>{invitation.role.label()}</span>
            <ActionForm action=revoke>
                <input type="hidden" name="workspace_id" value=here.workspace.id.clone() />
                <input type="hidden" name="invitation_id" value=invitation.id.clone() />
                <button class="button button-small" type="submit" disabled=move || revoke.pending().get()
                    aria-label=format!("Revoke the invitation for {}", invitation.email)>
                    {move || if revoke.pending().get() { "Revoking…" } else { "Revoke" }}
                </button>
            </ActionForm>
            <FormAlert message=outcome.summary() />
        </li>
    }
}

/// Leaving a workspace: open to every role, so it is on the Team page and in
/// Settings.
#[component]
pub fn LeaveSection(here: Here) -> impl IntoView {
    let leave = ServerAction::<LeaveWorkspace>::new();
    let outcome = Outcome::of(leave);
    let name = here.workspace.name.clone();
    view! {
        <section class="panel panel-danger" aria-labelledby="leave-title">
            <h2 id="leave-title">"Leave this workspace"</h2>
            <p>{format!("You'll lose access to {name} at once; to come back, someone will have to invite you again.")}</p>
            {(here.role() == Role::Owner).then(|| view! {
                <p class="muted small">"A workspace needs at least one owner: if you're the only one, make someone else an owner first."</p>
            })}
            <Confirm label="Leave workspace" danger=true>
                <p>{format!("Leave {name}?")}</p>
                <ActionForm action=leave>
                    <input type="hidden" name="workspace_id" value=here.workspace.id.clone() />
                    <FormAlert message=outcome.summary() />
                    <Submit label="Yes, leave" busy="Leaving…" pending=leave.pending() tone=Tone::Danger small=true />
                </ActionForm>
            </Confirm>
        </section>
    }
}

/// The permission matrix, straight from [`Role::allows`].
#[component]
fn RolesExplained() -> impl IntoView {
    view! {
        <details class="panel roles-explained">
            <summary>"What can each role do?"</summary>
            <div class="table-wrap">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Action"</th>
                            {Role::ALL.into_iter().map(|role| view! { <th scope="col">{role.label()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {Action::ALL
                            .into_iter()
                            .map(|action| view! {
                                <tr>
                                    <th scope="row">{action.describe()}</th>
                                    {Role::ALL
                                        .into_iter()
                                        .map(|role| {
                                            let (mark, words) = if role.allows(action) { ("✓", "Yes") } else { ("—", "No") };
                                            view! { <td><span aria-hidden="true">{mark}</span><span class="sr-only">{words}</span></td> }
                                        })
                                        .collect_view()}
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_grants_a_role_above_their_own() {
        assert_eq!(grantable(Role::Owner), [Role::Agent, Role::Admin, Role::Owner]);
        assert_eq!(grantable(Role::Admin), [Role::Agent, Role::Admin]);
    }
}
