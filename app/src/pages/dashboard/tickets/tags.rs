//! A ticket's tags in its pane: each a link that shows the tickets with
//! it, with a button to remove it, and a box that adds tags (commas or
//! spaces between). Each change is saved at once and told in the history.

use leptos::prelude::*;

use super::ticket::SaveChange;
use crate::components::url::encode_query_value;

#[component]
pub fn TicketTags(
    tags: Signal<Vec<String>>,
    update: SaveChange,
    /// The tickets page, where a tag's link filters the list.
    tickets: String,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let save = move |next: Vec<String>| {
        update.dispatch(("tags", next.join(",")));
    };
    let add = move || {
        let words = typed.get_untracked();
        if words.trim().is_empty() {
            return;
        }
        let mut next = tags.get_untracked();
        next.push(words);
        save(next);
        typed.set(String::new());
    };
    let chips = move || {
        let tickets = tickets.clone();
        tags.get()
            .into_iter()
            .map(|tag| {
                let href = format!("{tickets}?tag={}", encode_query_value(&tag));
                let removed = tag.clone();
                view! {
                    <li class="tag">
                        <a href=href title=format!("Tickets tagged {tag}")>{format!("#{tag}")}</a>
                        <button type="button" class="tag-remove" aria-label=format!("Remove the tag {tag}")
                            on:click=move |_| save(tags.get_untracked().into_iter().filter(|t| *t != removed).collect())>
                            "×"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field ticket-tags">
            <label for="ticket-tag-add">"Tags"</label>
            <ul class="tags">{chips}</ul>
            <form class="tag-add" on:submit=move |ev| { ev.prevent_default(); add(); }>
                <input id="ticket-tag-add" type="text" maxlength="120" placeholder="Add a tag, such as vip"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                <button type="submit" class="button button-small">"Add"</button>
            </form>
        </div>
    }
}
