//! A ticket's internal notes in its pane: what the team wrote, with the
//! members each note named marked, and the box that adds one. Typing `@`
//! offers the team's names (arrows choose, Enter or Tab takes one, Escape
//! closes); Ctrl+Enter adds the note.

use leptos::prelude::*;

use crate::components::format::Time;
use crate::desk::Agent;
use crate::ticket_notes::{add_note, mention_choices, mention_typed, note_parts, validate_note, NotePart, TicketNote};
use crate::tickets::TicketDetail;

#[component]
pub fn TicketNotes(
    ids: StoredValue<(String, String)>,
    notes: Signal<Vec<TicketNote>>,
    team: Vec<Agent>,
    me: String,
    /// Where the saved ticket goes.
    saved: Callback<TicketDetail>,
) -> impl IntoView {
    let team = StoredValue::new(team);
    let me = StoredValue::new(me);
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // The `@` being completed: its place (in characters) and what follows it.
    let typed = RwSignal::new(None::<(usize, String)>);
    let active = RwSignal::new(0usize);
    let area = NodeRef::<leptos::html::Textarea>::new();
    let choices = Memo::new(move |_| {
        typed.with(|t| t.as_ref().map(|(_, q)| team.with_value(|team| mention_choices(q, team))).unwrap_or_default())
    });

    let add = Action::new(move |body: &String| {
        let (w, t) = ids.get_value();
        let body = body.clone();
        async move { add_note(w, t, body).await }
    });
    Effect::new(move |_| match add.value().get() {
        Some(Ok(detail)) => {
            draft.set(String::new());
            error.set(None);
            saved.run(detail);
        }
        Some(Err(e)) => error.set(Some(e.explained())),
        None => {}
    });
    let submit = move || {
        if add.pending().get_untracked() {
            return;
        }
        match validate_note(&draft.get_untracked()) {
            Ok(body) => {
                add.dispatch(body);
            }
            Err(e) => error.set(Some(e.explained())),
        }
    };

    // Reads what is typed before the caret after every input.
    let follow = move || {
        let Some(el) = area.get_untracked() else { return };
        let value = el.value();
        let caret = el.selection_start().ok().flatten().unwrap_or(0) as usize;
        let before: Vec<u16> = value.encode_utf16().take(caret).collect();
        typed.set(mention_typed(&String::from_utf16_lossy(&before)));
        active.set(0);
    };
    let pick = move |agent: Agent| {
        let Some((at, query)) = typed.get_untracked() else { return };
        let chars: Vec<char> = draft.get_untracked().chars().collect();
        let head: String = chars[..at.min(chars.len())].iter().collect();
        let tail: String = chars.iter().skip(at + 1 + query.chars().count()).collect();
        let head = format!("{head}@{} ", agent.name);
        draft.set(format!("{head}{tail}"));
        typed.set(None);
        if let Some(el) = area.get_untracked() {
            el.set_value(&format!("{head}{tail}"));
            let caret = head.encode_utf16().count() as u32;
            let _ = el.set_selection_range(caret, caret);
            let _ = el.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let offered = choices.get_untracked();
        if !offered.is_empty() {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    active.update(|i| *i = (*i + 1) % offered.len());
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    active.update(|i| *i = (*i + offered.len() - 1) % offered.len());
                    return;
                }
                "Enter" | "Tab" if !ev.ctrl_key() && !ev.meta_key() => {
                    ev.prevent_default();
                    pick(offered[active.get_untracked().min(offered.len() - 1)].clone());
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    typed.set(None);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            submit();
        }
    };

    let shown = move || {
        notes
            .get()
            .into_iter()
            .map(|note| {
                let parts = team.with_value(|team| note_parts(&note.body, team));
                let body = parts
                    .into_iter()
                    .map(|part| match part {
                        NotePart::Text(text) => view! { <span>{text}</span> }.into_any(),
                        NotePart::Mention(agent) => {
                            let class =
                                if me.with_value(|me| *me == agent.id) { "mention mention-me" } else { "mention" };
                            view! { <span class=class>{format!("@{}", agent.name)}</span> }.into_any()
                        }
                    })
                    .collect_view();
                view! {
                    <li class="note">
                        <p class="note-meta"><strong>{note.author}</strong> " · " <Time at=note.at /></p>
                        <p class="note-body">{body}</p>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="ticket-notes" aria-labelledby="ticket-notes-title">
            <h3 id="ticket-notes-title">"Internal notes"</h3>
            <p class="muted small">"Only your team sees notes. Write @ and a name to tell someone: they get an email too."</p>
            <Show when=move || notes.with(|n| !n.is_empty())>
                <ol class="notes">{shown}</ol>
            </Show>
            <form class="note-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label for="ticket-note" class="sr-only">"Add an internal note"</label>
                <div class="mention-box">
                    <textarea id="ticket-note" rows="3" node_ref=area placeholder="Add a note for the team…"
                        maxlength=crate::ticket_notes::NOTE_MAX_CHARS.to_string()
                        role="combobox" aria-autocomplete="list" aria-controls="mention-choices"
                        aria-expanded=move || (!choices.get().is_empty()).to_string()
                        aria-activedescendant=move || (!choices.get().is_empty()).then(|| format!("mention-choice-{}", active.get()))
                        prop:value=move || draft.get()
                        on:input=move |ev| { draft.set(event_target_value(&ev)); follow(); }
                        on:click=move |_| follow()
                        on:blur=move |_| typed.set(None)
                        on:keydown=on_keydown></textarea>
                    <Show when=move || !choices.get().is_empty()>
                        <ul id="mention-choices" class="mention-choices" role="listbox" aria-label="Members to mention">
                            {move || choices.get().into_iter().enumerate().map(|(i, agent)| {
                                let chosen = agent.clone();
                                view! {
                                    <li id=format!("mention-choice-{i}") role="option"
                                        aria-selected=move || (active.get() == i).to_string()
                                        class:active=move || active.get() == i
                                        // Before the box's blur closes the list.
                                        on:mousedown=move |ev| { ev.prevent_default(); pick(chosen.clone()); }>
                                        {agent.name}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </Show>
                </div>
                <div class="note-actions">
                    <span class="muted small">"Ctrl+Enter adds it"</span>
                    <button type="submit" class="button button-small" disabled=move || add.pending().get()>
                        {move || if add.pending().get() { "Adding…" } else { "Add note" }}
                    </button>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
        </section>
    }
}
