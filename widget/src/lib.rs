//! The embeddable chat widget. A page adds one tag,
//! `<script src="https://HOST/widget.js" data-key="pk_…" async></script>`;
//! the loader imports this module and calls [`mount`]. Everything renders
//! inside a Shadow DOM on one `<lodestar-widget>` element, so the host
//! page's CSS cannot reach it and nothing else is added to the page.
//!
//! Text from the server is only ever set as `textContent`; links are built
//! as elements, and only for `http(s)` addresses.
//! The crate never depends on `app`: it must stay tiny.

mod i18n;
mod net;
mod pow;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use i18n::Texts;
use js_sys::{Array, Object, Reflect};
use net::{field, text, Events, Failure};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent};

const HOST_TAG: &str = "lodestar-widget";
const DEFAULT_COLOUR: &str = "#4f46e5";
/// Reconnection waits double from one second up to this.
const MAX_BACKOFF_MS: i32 = 30_000;

/// The panel's look; the reset and the launcher's are in the loader, which
/// draws the launcher before this module has loaded.
const STYLE: &str = r#"
.panel { position: fixed; right: 20px; bottom: 88px; width: min(380px, calc(100vw - 40px)); height: min(600px, calc(100vh - 120px));
  background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25);
  display: flex; flex-direction: column; overflow: hidden; z-index: 2147483000; }
.left .panel { right: auto; left: 20px; }
.panel[hidden] { display: none; }
.header { background: var(--accent); color: #fff; padding: 12px 12px 12px 16px; display: flex; align-items: center; gap: 8px; }
.title { font-weight: 600; flex: 1; }
.avatar { width: 28px; height: 28px; border-radius: 50%; background: rgba(255,255,255,.2); display: grid; place-items: center; font-size: 15px; }
.avatar[hidden] { display: none; }
.close { background: transparent; border: 0; color: #fff; font-size: 22px; line-height: 1; cursor: pointer; padding: 4px 8px; border-radius: 8px; }
.list { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 10px; }
.msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.visitor { align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px; }
.bot, .agent { align-self: flex-start; background: #f3f4f6; border-bottom-left-radius: 4px; }
.agent { background: #ecfdf5; }
.event { align-self: center; font-size: 12px; color: #6b7280; text-align: center; }
.seen { align-self: flex-end; margin-top: -6px; font-size: 11px; color: #6b7280; }
.who { display: block; font-size: 12px; color: #6b7280; margin-bottom: 2px; }
.msg a { color: var(--accent); text-decoration: underline; }
.visitor a { color: #fff; }
.sources { margin-top: 6px; font-size: 13px; display: flex; flex-direction: column; gap: 2px; }
.sources summary { cursor: pointer; color: var(--accent); text-decoration: underline; }
.sources blockquote { margin: 4px 0 6px; padding: 6px 10px; border-left: 3px solid var(--accent); background: #fff; border-radius: 0 8px 8px 0; color: #374151; }
.cite { background: none; border: 0; padding: 0; font: inherit; color: var(--accent); text-decoration: underline; cursor: pointer; }
.handoff { align-self: stretch; display: flex; flex-direction: column; gap: 6px; padding: 10px 12px; border: 1px solid #e5e7eb; border-radius: 12px; background: #f9fafb; }
.handoff label { font-size: 14px; }
.handoff-error { font-size: 13px; color: #b91c1c; }
.handoff-error:empty { display: none; }
.rating { align-self: stretch; display: flex; flex-direction: column; gap: 6px; padding: 10px 12px; border: 1px solid #e5e7eb; border-radius: 12px; background: #f9fafb; }
.rating p { margin: 0; font-size: 14px; }
.stars { display: flex; gap: 2px; }
.star { background: none; border: 0; padding: 2px; font-size: 26px; line-height: 1; cursor: pointer; color: #d1d5db; }
.star.on { color: #f59e0b; }
.star:focus-visible { outline: 2px solid var(--accent); border-radius: 6px; }
.rating textarea { font: inherit; font-size: 14px; border: 1px solid #d1d5db; border-radius: 8px; padding: 6px 8px; resize: vertical; }
.rating .send { align-self: flex-start; }
.note { margin-top: 6px; font-size: 12px; color: #6b7280; }
.feedback { margin-top: 6px; display: flex; gap: 4px; align-items: center; font-size: 12px; color: #6b7280; }
.feedback button { background: #fff; border: 1px solid #d1d5db; border-radius: 8px; cursor: pointer; padding: 2px 8px; font-size: 14px; }
.feedback button[aria-pressed="true"] { border-color: var(--accent); background: #eef2ff; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { background: #fff; border: 1px solid var(--accent); color: var(--accent); border-radius: 999px; padding: 4px 10px;
  cursor: pointer; font-size: 13px; text-align: left; }
.typing { color: #6b7280; font-style: italic; }
.status { padding: 6px 16px; font-size: 13px; color: #92400e; background: #fffbeb; }
.status:empty { display: none; }
.status.done { color: #065f46; background: #ecfdf5; }
.composer { border-top: 1px solid #e5e7eb; padding: 10px; display: flex; flex-direction: column; gap: 8px; }
.row { display: flex; gap: 8px; align-items: flex-end; }
textarea, input { flex: 1; resize: none; border: 1px solid #d1d5db; border-radius: 10px; padding: 8px 10px; background: #fff; min-height: 40px; max-height: 120px; font-size: 16px; }
.send { background: var(--accent); color: #fff; border: 0; border-radius: 10px; padding: 0 14px; height: 40px; cursor: pointer; font-weight: 600; }
.send:disabled { opacity: .6; cursor: default; }
.human { background: transparent; border: 0; color: var(--accent); cursor: pointer; font-size: 13px; padding: 2px; align-self: flex-start; text-decoration: underline; }
.mode { font-size: 11px; color: #9ca3af; text-align: center; }
.brand { font-size: 11px; color: #6b7280; text-align: center; text-decoration: none; }
.brand:hover, .brand:focus-visible { text-decoration: underline; }
.open .launcher { font-size: 0; }
.open .launcher::after { content: "\2715"; font-size: 22px; }
@media (max-width: 480px) {
  .panel, .left .panel { inset: 0; width: 100vw; height: 100vh; border-radius: 0; }
  .open .launcher { display: none; }
}
"#;

/// Builds the chat panel beside the launcher the loader drew for the
/// workspace whose publishable key is `key`; `base` is where the loader
/// came from (the Lodestar server), `config` what it read of the widget's
/// settings (`null` when that failed: the panel then asks again, with
/// backoff). `identity` is the site's signed token naming its signed-in
/// user (the script's `data-identity`), empty for an anonymous visitor.
/// Calling it twice on one page does nothing the second time.
#[wasm_bindgen]
pub fn mount(key: &str, base: &str, config: JsValue, identity: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let host = document.query_selector(HOST_TAG)?.ok_or("the loader adds the widget's element first")?;
    if host.has_attribute("data-ready") {
        return Ok(());
    }
    let widget = Rc::new(Widget::build(&document, &host, key, base, identity)?);
    widget.wire()?;
    host.set_attribute("data-ready", "")?;
    let loading = widget.clone();
    let config = (!config.is_null() && !config.is_undefined()).then_some(config);
    wasm_bindgen_futures::spawn_local(async move { loading.load_config(config).await });
    // The visitor clicked the launcher while this module was loading.
    if widget.launcher.has_attribute("data-open") {
        widget.launcher.remove_attribute("data-open")?;
        widget.set_open(true);
    }
    Ok(())
}

/// How often the widget says the visitor is typing, at most.
const TYPING_EVERY_MS: i32 = 2_500;
/// How long "Maria is typing…" stays after the last signal.
const TYPING_SHOWN_MS: i32 = 4_000;

struct Widget {
    document: Document,
    api: String,
    storage_key: String,
    texts: Cell<&'static Texts>,
    root: Element,
    launcher: HtmlElement,
    panel: HtmlElement,
    close: HtmlElement,
    title: Element,
    avatar: Element,
    list: Element,
    status: Element,
    email: HtmlInputElement,
    input: HtmlTextAreaElement,
    send: HtmlElement,
    human: HtmlElement,
    mode: Element,
    brand: Element,
    token: RefCell<Option<String>>,
    /// The site's identity token, if it names a signed-in user.
    identity: Option<String>,
    greeting: RefCell<String>,
    starters: RefCell<Vec<String>>,
    /// The workspace's own words for the placeholder, Send and "Talk to a human".
    custom_texts: RefCell<[String; 3]>,
    ask_email: Cell<bool>,
    /// Whether the team has an email to follow up at (after a hand-off).
    email_known: Cell<bool>,
    session_started: Cell<bool>,
    busy: Cell<bool>,
    /// The last entry of the conversation's journal this widget has; its
    /// push channel resumes after it.
    seq: Cell<f64>,
    /// Whether the push channel is open (or reconnecting).
    following: Cell<bool>,
    /// Ids of the team's messages shown, so none shows twice.
    shown: RefCell<Vec<String>>,
    /// Whether a person from the team answers (they hear the visitor typing).
    person_answers: Cell<bool>,
    /// Whether "typing" went out in the last few seconds.
    typing_said: Cell<bool>,
    /// Counts the person's typing signals; a newer one keeps the indicator up.
    typing_heard: Cell<u32>,
    /// When the visitor's latest message was written (the server's clock):
    /// a receipt from the team covering it shows "Seen".
    asked_at: Cell<f64>,
    /// Whether a reply from the team is shown that the team does not know
    /// the visitor has seen.
    unseen: Cell<bool>,
}

impl Widget {
    fn build(document: &Document, host: &Element, key: &str, base: &str, identity: &str) -> Result<Widget, JsValue> {
        let shadow = host.shadow_root().ok_or("the widget's element has no shadow root")?;
        add_style(document, &shadow)?;
        let texts = i18n::pick(&page_languages(document));
        let make = |tag: &str, class: &str| -> Result<HtmlElement, JsValue> {
            let element: HtmlElement = document.create_element(tag)?.dyn_into()?;
            element.set_class_name(class);
            Ok(element)
        };
        let root = shadow.query_selector(".root")?.ok_or("the loader's root is missing")?;
        let launcher: HtmlElement =
            shadow.query_selector(".launcher")?.ok_or("the loader's launcher is missing")?.dyn_into()?;
        let panel = make("section", "panel")?;
        attributes(&panel, &[("role", "dialog"), ("aria-modal", "false"), ("tabindex", "-1"), ("hidden", "")])?;
        let header = make("div", "header")?;
        let avatar = make("span", "avatar")?;
        attributes(&avatar, &[("aria-hidden", "true"), ("hidden", "")])?;
        let title = make("div", "title")?;
        title.set_id("lodestar-title");
        panel.set_attribute("aria-labelledby", "lodestar-title")?;
        let close = make("button", "close")?;
        attributes(&close, &[("type", "button"), ("aria-label", texts.close)])?;
        close.set_text_content(Some("×"));
        header.append_child(&avatar)?;
        header.append_child(&title)?;
        header.append_child(&close)?;
        let list = make("div", "list")?;
        attributes(&list, &[("role", "log"), ("aria-live", "polite"), ("aria-relevant", "additions")])?;
        let status = make("div", "status")?;
        status.set_attribute("role", "status")?;
        let composer = make("div", "composer")?;
        let email: HtmlInputElement = document.create_element("input")?.dyn_into()?;
        attributes(
            &email,
            &[
                ("type", "email"),
                ("autocomplete", "email"),
                ("aria-label", texts.email),
                ("placeholder", texts.email),
                ("hidden", ""),
            ],
        )?;
        let row = make("div", "row")?;
        let input: HtmlTextAreaElement = document.create_element("textarea")?.dyn_into()?;
        attributes(
            &input,
            &[
                ("rows", "1"),
                ("maxlength", "2000"),
                ("aria-label", texts.placeholder),
                ("placeholder", texts.placeholder),
            ],
        )?;
        let send = make("button", "send")?;
        attributes(&send, &[("type", "button")])?;
        send.set_text_content(Some(texts.send));
        row.append_child(&input)?;
        row.append_child(&send)?;
        let human = make("button", "human")?;
        human.set_attribute("type", "button")?;
        human.set_text_content(Some(texts.human));
        let mode = make("div", "mode")?;
        // Shown once the settings say so (a paid plan may leave it out).
        let brand = make("a", "brand")?;
        attributes(&brand, &[("hidden", ""), ("target", "_blank"), ("rel", "noopener")])?;
        brand.set_text_content(Some("Powered by Lodestar"));
        composer.append_child(&email)?;
        composer.append_child(&row)?;
        composer.append_child(&human)?;
        composer.append_child(&mode)?;
        composer.append_child(&brand)?;
        for part in [&header, &list, &status, &composer] {
            panel.append_child(part)?;
        }
        launcher.set_attribute("aria-label", texts.open)?;
        root.insert_before(&panel, Some(&launcher))?;
        Ok(Widget {
            document: document.clone(),
            api: format!("{base}api/widget/v1/{key}/"),
            storage_key: format!("lodestar:{key}"),
            texts: Cell::new(texts),
            root,
            launcher,
            panel,
            close,
            title: title.into(),
            avatar: avatar.into(),
            list: list.into(),
            status: status.into(),
            email,
            input,
            send,
            human,
            mode: mode.into(),
            brand: brand.into(),
            token: RefCell::new(stored(&format!("lodestar:{key}"))),
            identity: Some(identity.to_owned()).filter(|i| !i.is_empty()),
            greeting: RefCell::new(String::new()),
            starters: RefCell::new(Vec::new()),
            custom_texts: RefCell::new(Default::default()),
            ask_email: Cell::new(false),
            email_known: Cell::new(false),
            session_started: Cell::new(false),
            busy: Cell::new(false),
            seq: Cell::new(0.0),
            following: Cell::new(false),
            shown: RefCell::new(Vec::new()),
            person_answers: Cell::new(false),
            typing_said: Cell::new(false),
            typing_heard: Cell::new(0),
            asked_at: Cell::new(0.0),
            unseen: Cell::new(false),
        })
    }

    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let w = self.clone();
        on(&self.launcher, "click", move |_| {
            let open = w.panel.has_attribute("hidden");
            w.set_open(open);
        })?;
        let w = self.clone();
        on(&self.close, "click", move |_| w.set_open(false))?;
        let w = self.clone();
        // On the root, so Escape works wherever focus is inside the widget.
        on(&self.root, "keydown", move |event| {
            if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
                if key.key() == "Escape" && !w.panel.has_attribute("hidden") {
                    w.set_open(false);
                }
            }
        })?;
        let w = self.clone();
        on(&self.input, "keydown", move |event| {
            if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
                if key.key() == "Enter" && !key.shift_key() && !key.is_composing() {
                    event.prevent_default();
                    w.clone().submit(None);
                }
            }
        })?;
        let w = self.clone();
        on(&self.input, "input", move |_| w.clone().say_typing())?;
        let w = self.clone();
        on(&self.send, "click", move |_| w.clone().submit(None))?;
        let w = self.clone();
        on(&self.document, "visibilitychange", move |_| w.clone().note_seen())?;
        let w = self.clone();
        on(&self.human, "click", move |_| {
            let w = w.clone();
            wasm_bindgen_futures::spawn_local(async move { w.hand_off(None).await });
        })?;
        Ok(())
    }

    fn texts(&self) -> &'static Texts {
        self.texts.get()
    }

    /// Applies appearance and texts: those the loader read, or loaded here,
    /// retrying with backoff while offline.
    async fn load_config(self: Rc<Self>, loaded: Option<JsValue>) {
        let mut wait = 1_000;
        let config = loop {
            if let Some(config) = &loaded {
                break config.clone();
            }
            match net::send(&format!("{}config", self.api), None).await {
                Ok(response) => {
                    if let Ok(config) = net::json(&response).await {
                        break config;
                    }
                }
                Err(Failure::Refused { message, .. }) => {
                    web_sys::console::warn_1(&JsValue::from_str(&format!("Lodestar widget: {message}")));
                    self.title.set_text_content(Some(&message));
                    return;
                }
                Err(Failure::Network | Failure::Challenge { .. }) => {}
            }
            sleep(wait).await;
            wait = (wait * 2).min(MAX_BACKOFF_MS);
        };
        let settings = field(&config, "settings");
        if let Some(language) = text(&settings, "language").filter(|l| !l.is_empty()) {
            self.texts.set(i18n::pick(&[language]));
        }
        let custom = field(&settings, "texts");
        *self.custom_texts.borrow_mut() =
            ["placeholder", "send", "human"].map(|name| text(&custom, name).unwrap_or_default());
        self.relabel();
        if let Some(avatar) = text(&settings, "avatar").filter(|a| !a.is_empty()) {
            self.avatar.set_text_content(Some(&avatar));
            let _ = self.avatar.remove_attribute("hidden");
        }
        if let Some(icon) = text(&config, "launcher") {
            self.launcher.set_text_content(Some(&icon));
        }
        let colour = text(&settings, "colour").filter(|c| is_colour(c)).unwrap_or_else(|| DEFAULT_COLOUR.into());
        let _ = self.root.set_attribute("style", &format!("--accent: {colour}"));
        if text(&settings, "position").as_deref() == Some("left") {
            let _ = self.root.class_list().add_1("left");
        }
        self.title.set_text_content(text(&settings, "title").as_deref());
        *self.greeting.borrow_mut() = text(&settings, "greeting").unwrap_or_default();
        *self.starters.borrow_mut() = strings(&field(&settings, "starters"));
        self.ask_email
            .set(field(&settings, "ask_email").as_bool().unwrap_or(false) && stored(&self.email_key()).is_none());
        if text(&config, "mode").as_deref() == Some("offline") {
            self.mode.set_text_content(Some(self.texts().offline_mode));
        }
        if let Some(home) =
            text(&config, "branding").filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        {
            let _ = self.brand.set_attribute("href", &home);
            let _ = self.brand.remove_attribute("hidden");
        }
        // A returning visitor with a conversation sees it restored at once.
        if self.token.borrow().is_some() && !self.panel.has_attribute("hidden") {
            self.clone().start_session().await;
        }
    }

    fn label_launcher(&self, open: bool) {
        let _ = self.launcher.set_attribute("aria-label", if open { self.texts().close } else { self.texts().open });
    }

    /// Applies the chosen language to the fixed labels.
    fn relabel(&self) {
        let t = self.texts();
        let custom = self.custom_texts.borrow();
        let own = |i: usize, built_in: &'static str| if custom[i].is_empty() { built_in } else { custom[i].as_str() };
        self.label_launcher(!self.panel.has_attribute("hidden"));
        let _ = self.close.set_attribute("aria-label", t.close);
        for (element, label) in [(&self.input as &Element, own(0, t.placeholder)), (&self.email as &Element, t.email)] {
            let _ = element.set_attribute("placeholder", label);
            let _ = element.set_attribute("aria-label", label);
        }
        self.send.set_text_content(Some(own(1, t.send)));
        self.human.set_text_content(Some(own(2, t.human)));
    }

    fn email_key(&self) -> String {
        format!("{}:email", self.storage_key)
    }

    /// Opens the panel with focus in the message box, or closes it and
    /// returns focus to the launcher.
    fn set_open(self: &Rc<Self>, open: bool) {
        let _ = self.launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
        // While open the launcher is the close button (on a phone the panel
        // fills the screen and the launcher hides: it would cover Send).
        let _ = if open { self.root.class_list().add_1("open") } else { self.root.class_list().remove_1("open") };
        self.label_launcher(open);
        if open {
            let _ = self.panel.remove_attribute("hidden");
            self.email.set_hidden(!self.ask_email.get());
            let _ = if self.ask_email.get() { self.email.focus() } else { self.input.focus() };
            if !self.session_started.get() {
                let w = self.clone();
                wasm_bindgen_futures::spawn_local(async move { w.start_session().await });
            }
            self.clone().note_seen();
        } else {
            let _ = self.panel.set_attribute("hidden", "");
            let _ = self.launcher.focus();
        }
    }

    /// Resumes the visitor's conversation (or starts one), retrying with
    /// backoff while the connection is down.
    async fn start_session(self: Rc<Self>) {
        if self.session_started.replace(true) {
            return;
        }
        let mut wait = 1_000;
        loop {
            let optional = |value: Option<String>| value.map(JsValue::from).unwrap_or(JsValue::NULL);
            let body = object(&[
                ("token", optional(self.token.borrow().clone())),
                ("identity", optional(self.identity.clone())),
            ]);
            match net::send(&format!("{}session", self.api), Some(&body)).await {
                Ok(response) => {
                    if let Ok(session) = net::json(&response).await {
                        self.show_status("");
                        self.accept_session(&session);
                        return;
                    }
                }
                Err(Failure::Refused { message, .. }) => {
                    self.show_status(&message);
                    self.session_started.set(false);
                    return;
                }
                Err(Failure::Network | Failure::Challenge { .. }) => self.show_status(self.texts().reconnecting),
            }
            sleep(wait).await;
            wait = (wait * 2).min(MAX_BACKOFF_MS);
        }
    }

    fn accept_session(self: &Rc<Self>, session: &JsValue) {
        if let Some(error) = text(session, "identity_error") {
            web_sys::console::warn_1(&JsValue::from_str(&format!("Lodestar widget: {error}")));
        }
        if let Some(token) = text(session, "token") {
            store(&self.storage_key, &token);
            *self.token.borrow_mut() = Some(token);
        }
        self.list.set_inner_html("");
        let messages = Array::from(&field(session, "messages"));
        if messages.length() == 0 {
            let greeting = self.greeting.borrow().clone();
            if !greeting.is_empty() {
                let _ = self.append_text_bubble("bot", &greeting);
            }
            let starters = self.starters.borrow().clone();
            self.show_chips(&starters);
        }
        let last = messages.length().saturating_sub(1);
        for (i, message) in messages.iter().enumerate() {
            let _ = self.render_message(&message, i as u32 == last);
        }
        let asked = messages.iter().rev().find(|m| text(m, "author").as_deref() == Some("visitor"));
        self.asked_at.set(asked.map_or(0.0, |m| field(&m, "created_at").as_f64().unwrap_or(0.0)));
        if field(session, "seen").as_bool() == Some(true) {
            self.show_seen();
        }
        self.unseen.set(messages.iter().any(|m| text(&m, "author").as_deref() == Some("agent")));
        self.clone().note_seen();
        self.email_known.set(field(session, "email_known").as_bool() == Some(true));
        self.seq.set(field(session, "seq").as_f64().unwrap_or(0.0));
        *self.shown.borrow_mut() = messages.iter().filter_map(|m| text(&m, "id")).collect();
        self.set_person_answers(text(session, "agent").is_some());
        match text(session, "agent") {
            Some(name) => self.show_event(&self.texts().joined.replace("{name}", &name)),
            None if field(session, "flagged").as_bool() == Some(true) => self.show_handoff(&field(session, "queue")),
            None => {}
        }
        if field(session, "rating_asked").as_bool() == Some(true) {
            let _ = self.rating_form();
        }
        if messages.length() > 0 {
            self.follow();
        }
        self.scroll_down();
    }

    /// Keeps the visitor's push channel open: what the team does in the
    /// conversation (a person joining, their replies, handing back to the
    /// assistant) arrives here as it happens, resumed after the last entry
    /// seen whenever the connection drops.
    fn follow(self: &Rc<Self>) {
        if self.following.replace(true) {
            return;
        }
        let w = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut wait = 1_000;
            loop {
                let token = w.token.borrow().clone().unwrap_or_default();
                let body = object(&[("token", JsValue::from(token)), ("after", JsValue::from_f64(w.seq.get()))]);
                match net::send(&format!("{}events", w.api), Some(&body)).await {
                    // No conversation yet: the first message starts following.
                    Ok(response) if response.status() == 204 => break,
                    Ok(response) => {
                        if let Some(mut events) = Events::new(&response) {
                            while let Ok(Some((name, data))) = events.next().await {
                                if let Some(seq) = events.last_id() {
                                    w.seq.set(seq);
                                }
                                w.hear(&name, &data);
                                wait = 1_000;
                            }
                        }
                    }
                    // An expired session: the next session starts afresh.
                    Err(Failure::Refused { kind, .. }) if kind == "session" => break,
                    Err(_) => {}
                }
                sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF_MS);
            }
            w.following.set(false);
        });
    }

    /// One entry of the push channel. The visitor's own messages and the
    /// assistant's answers arrive with the answer stream; only what the
    /// team does is shown from here.
    fn hear(self: &Rc<Self>, kind: &str, data: &JsValue) {
        let t = self.texts();
        match kind {
            "message" if text(data, "author").as_deref() == Some("agent") => {
                let Some(id) = text(data, "id") else { return };
                if self.shown.borrow().contains(&id) {
                    return;
                }
                self.shown.borrow_mut().push(id);
                self.remove_chips();
                self.stop_typing_indicator();
                let _ = self.render_message(data, true);
                self.unseen.set(true);
                self.clone().note_seen();
            }
            "seen" if text(data, "by").as_deref() == Some("team") => {
                if field(data, "at").as_f64().unwrap_or(0.0) >= self.asked_at.get() {
                    self.show_seen();
                }
            }
            "typing" => {
                let name = text(&field(data, "agent"), "name");
                // The visitor's own typing comes back too; only the person's shows.
                let Some(name) = name else { return };
                self.show_typing_indicator(&t.agent_typing.replace("{name}", &name));
            }
            "joined" => {
                let name = text(&field(data, "agent"), "name").unwrap_or_else(|| t.agent.to_string());
                if let Ok(Some(form)) = self.list.query_selector(".handoff") {
                    form.remove();
                }
                self.show_status("");
                self.set_person_answers(true);
                self.show_event(&t.joined.replace("{name}", &name));
            }
            "handed_back" => {
                self.set_person_answers(false);
                self.stop_typing_indicator();
                self.show_event(t.handed_back);
            }
            "resolved" if field(data, "ask_rating").as_bool() == Some(true) => {
                let _ = self.rating_form();
            }
            _ => return,
        }
        self.scroll_down();
    }

    /// While a person answers, the visitor talks to them: "Talk to a human"
    /// and the note about automatic answers step aside.
    fn set_person_answers(&self, answers: bool) {
        self.person_answers.set(answers);
        for part in [&self.human, &self.mode] {
            if answers {
                let _ = part.set_attribute("hidden", "");
            } else {
                let _ = part.remove_attribute("hidden");
            }
        }
    }

    /// Tells the person answering that the visitor is typing, at most
    /// every 2.5 seconds, and only while a person answers.
    fn say_typing(self: Rc<Self>) {
        if !self.person_answers.get() || self.typing_said.replace(true) {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let token = self.token.borrow().clone().unwrap_or_default();
            let _ = net::send(&format!("{}typing", self.api), Some(&object(&[("token", JsValue::from(token))]))).await;
            sleep(TYPING_EVERY_MS).await;
            self.typing_said.set(false);
        });
    }

    /// Tells the team the visitor has seen their replies: once per reply,
    /// when it is on screen (the panel open, the page in view).
    fn note_seen(self: Rc<Self>) {
        if !self.unseen.get() || self.panel.has_attribute("hidden") || self.document.hidden() {
            return;
        }
        self.unseen.set(false);
        wasm_bindgen_futures::spawn_local(async move {
            let token = self.token.borrow().clone().unwrap_or_default();
            let body = object(&[("token", JsValue::from(token))]);
            if net::send(&format!("{}seen", self.api), Some(&body)).await.is_err() {
                self.unseen.set(true);
            }
        });
    }

    /// "Seen" under the visitor's latest message: a person from the team read it.
    fn show_seen(&self) {
        self.clear_seen();
        let mut line = self.list.last_element_child();
        while let Some(element) = line {
            let classes = element.class_list();
            if classes.contains("msg") && classes.contains("visitor") {
                if let Ok(mark) = self.document.create_element("p") {
                    mark.set_class_name("seen");
                    mark.set_text_content(Some(self.texts().seen));
                    let _ = element.after_with_node_1(&mark);
                }
                return;
            }
            line = element.previous_element_sibling();
        }
    }

    fn clear_seen(&self) {
        if let Ok(Some(mark)) = self.list.query_selector(".seen") {
            mark.remove();
        }
    }

    /// "Maria is typing…", for a few seconds after the last signal.
    fn show_typing_indicator(self: &Rc<Self>, said: &str) {
        let heard = self.typing_heard.get().wrapping_add(1);
        self.typing_heard.set(heard);
        let line = match self.list.query_selector(".agent-typing").ok().flatten() {
            Some(line) => line,
            None => match self.document.create_element("p") {
                Ok(line) => {
                    line.set_class_name("event agent-typing");
                    let _ = self.list.append_child(&line);
                    line
                }
                Err(_) => return,
            },
        };
        line.set_text_content(Some(said));
        self.scroll_down();
        let w = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            sleep(TYPING_SHOWN_MS).await;
            if w.typing_heard.get() == heard {
                w.stop_typing_indicator();
            }
        });
    }

    fn stop_typing_indicator(&self) {
        if let Ok(Some(line)) = self.list.query_selector(".agent-typing") {
            line.remove();
        }
    }

    /// A line in the conversation that is nobody's message ("Maria joined the chat").
    fn show_event(&self, said: &str) {
        if let Ok(line) = self.document.create_element("p") {
            line.set_class_name("event");
            line.set_text_content(Some(said));
            let _ = self.list.append_child(&line);
        }
    }

    /// Sends the typed message, or `preset` (a starter or follow-up).
    fn submit(self: Rc<Self>, preset: Option<String>) {
        if self.busy.get() {
            return;
        }
        let text = preset.unwrap_or_else(|| self.input.value());
        if text.trim().is_empty() {
            return;
        }
        let email = self.email.value();
        if self.ask_email.get() && !looks_like_email(&email) {
            self.show_status(self.texts().email_invalid);
            let _ = self.email.focus();
            return;
        }
        self.input.set_value("");
        wasm_bindgen_futures::spawn_local(async move { self.ask(text, email).await });
    }

    async fn ask(self: Rc<Self>, text: String, email: String) {
        self.busy.set(true);
        let _ = self.send.set_attribute("disabled", "");
        self.remove_chips();
        self.show_status("");
        self.clear_seen();
        let _ = self.append_text_bubble("visitor", &text);
        let pending = self.append_text_bubble("bot", self.texts().typing).ok();
        if let Some(p) = &pending {
            let _ = p.class_list().add_1("typing");
            let _ = p.set_attribute("aria-busy", "true");
        }
        self.scroll_down();
        // An answer that hands over knows where the team will write.
        if self.ask_email.get() {
            self.email_known.set(true);
        }
        let mut outcome = self.stream_answer(&text, &email, pending.as_ref(), None).await;
        // Past this address's share of the day: show some work, then ask again.
        for _ in 0..3 {
            let Err(Failure::Challenge { token, bits }) = &outcome else { break };
            self.show_status(self.texts().checking);
            outcome = match pow::solve(token, *bits).await {
                Some(solution) => {
                    self.show_status("");
                    let proof = (token.clone(), solution);
                    self.stream_answer(&text, &email, pending.as_ref(), Some(&proof)).await
                }
                None => Err(Failure::Refused { message: self.texts().busy.into(), kind: String::new() }),
            };
        }
        match outcome {
            Ok(()) => {
                if self.ask_email.get() {
                    store(&self.email_key(), &email);
                    self.ask_email.set(false);
                    self.email.set_hidden(true);
                }
            }
            Err(Failure::Refused { message, kind }) => {
                if let Some(p) = pending {
                    p.remove();
                }
                if kind == "session" {
                    // An expired visitor token: start afresh and let them resend.
                    *self.token.borrow_mut() = None;
                    self.session_started.set(false);
                }
                if kind == "invalid" || kind == "rate_limited" {
                    self.input.set_value(&text);
                }
                self.show_status(if message.is_empty() { self.texts().failed } else { &message });
            }
            Err(Failure::Challenge { .. }) => {
                if let Some(p) = pending {
                    p.remove();
                }
                self.input.set_value(&text);
                self.show_status(self.texts().busy);
            }
            Err(Failure::Network) => {
                if let Some(p) = pending {
                    p.remove();
                }
                // The answer may have been stored even though we lost it:
                // reload the conversation rather than guess.
                self.session_started.set(false);
                self.clone().start_session().await;
            }
        }
        self.busy.set(false);
        let _ = self.send.remove_attribute("disabled");
        self.scroll_down();
    }

    async fn stream_answer(
        self: &Rc<Self>,
        text: &str,
        email: &str,
        pending: Option<&HtmlElement>,
        proof: Option<&(String, String)>,
    ) -> Result<(), Failure> {
        let token = self.token.borrow().clone().unwrap_or_default();
        let mut fields = vec![("token", JsValue::from(token)), ("text", JsValue::from(text))];
        if self.ask_email.get() {
            fields.push(("email", JsValue::from(email)));
        }
        if let Some((challenge, solution)) = proof {
            fields.push(("challenge", JsValue::from(challenge)));
            fields.push(("solution", JsValue::from(solution)));
        }
        let response = net::send(&format!("{}messages", self.api), Some(&object(&fields))).await?;
        let mut events = Events::new(&response).ok_or(Failure::Network)?;
        let mut streamed = String::new();
        while let Some((name, data)) = events.next().await? {
            match name.as_str() {
                "received" => {
                    let created_at = field(&field(&data, "message"), "created_at").as_f64();
                    self.asked_at.set(created_at.unwrap_or(0.0));
                }
                "delta" => {
                    streamed.push_str(&text_or_empty(&data, "text"));
                    if let Some(p) = pending {
                        let _ = p.class_list().remove_1("typing");
                        p.set_text_content(Some(&streamed));
                        self.scroll_down();
                    }
                }
                "retract" => {
                    streamed.clear();
                    if let Some(p) = pending {
                        let _ = p.class_list().add_1("typing");
                        p.set_text_content(Some(""));
                    }
                }
                "done" => {
                    if let Some(p) = pending {
                        p.remove();
                    }
                    let _ = self.render_message(&field(&data, "message"), true);
                    if field(&data, "flagged").as_bool() == Some(true) {
                        self.show_handoff(&JsValue::NULL);
                    }
                    self.follow();
                    return Ok(());
                }
                // A person answers this conversation: their reply comes on the push channel.
                "held" => {
                    if let Some(p) = pending {
                        p.remove();
                    }
                    self.follow();
                    return Ok(());
                }
                "failed" => {
                    return Err(Failure::Refused { message: text_or_empty(&data, "error"), kind: String::new() });
                }
                _ => {}
            }
        }
        // The stream ended without its final event: treat it as a dropped connection.
        Err(Failure::Network)
    }

    /// Asks for a person, with the email the team should write to when the
    /// visitor gave it in the hand-off form.
    async fn hand_off(self: Rc<Self>, email: Option<String>) {
        let token = self.token.borrow().clone().unwrap_or_default();
        let mut body = vec![("token", JsValue::from(token))];
        if let Some(email) = &email {
            body.push(("email", JsValue::from(email.as_str())));
        }
        let outcome = match net::send(&format!("{}handoff", self.api), Some(&object(&body))).await {
            Ok(response) => net::json(&response).await.map_err(|_| self.texts().failed.to_string()),
            Err(Failure::Refused { message, .. }) if !message.is_empty() => Err(message),
            Err(_) => Err(self.texts().failed.to_string()),
        };
        match outcome {
            Ok(answer) => {
                if let Some(email) = &email {
                    store(&self.email_key(), email.trim());
                }
                self.email_known.set(field(&answer, "email_known").as_bool() == Some(true));
                self.show_handoff(&field(&answer, "queue"));
            }
            Err(message) => match self.list.query_selector(".handoff-error").ok().flatten() {
                Some(error) => error.set_text_content(Some(&message)),
                None => self.show_status(&message),
            },
        }
    }

    /// Says what happens after a hand-off, honestly. With people at the
    /// desk (`queue`, from the server) the visitor waits here and is told
    /// their place in line and the usual wait; with nobody there the team
    /// follows up by email, and without one the visitor is asked for it.
    fn show_handoff(self: &Rc<Self>, queue: &JsValue) {
        if let Ok(Some(form)) = self.list.query_selector(".handoff") {
            form.remove();
        }
        let t = self.texts();
        let away = field(queue, "back_at").as_f64().map(|at| t.team_away.replace("{when}", &local_time(at, t.lang)));
        let online = field(queue, "online").as_f64().unwrap_or(0.0);
        let place = field(queue, "position").as_f64().unwrap_or(0.0);
        if online >= 1.0 && place >= 1.0 {
            let mut said = t.queue_position.replace("{n}", &place.to_string());
            said.push(' ');
            match field(queue, "expected_wait_secs").as_f64() {
                Some(secs) => {
                    said.push_str(&t.queue_wait.replace("{minutes}", &(secs / 60.0).ceil().max(1.0).to_string()))
                }
                None => said.push_str(t.queue_soon),
            }
            // In case nobody joins before they must go: the email, kept or asked for.
            if let (true, Some(email)) = (self.email_known.get(), stored(&self.email_key())) {
                said.push(' ');
                said.push_str(&t.queue_email.replace("{email}", &email));
            }
            self.show_status(&said);
            self.status.set_class_name("status done");
            if !self.email_known.get() {
                let _ = self.handoff_form(t.handoff_ask_waiting);
            }
        } else if self.email_known.get() {
            let mut said = away.map(|away| away + " ").unwrap_or_default();
            said.push_str(&match stored(&self.email_key()) {
                Some(email) => t.handoff_sent_to.replace("{email}", &email),
                None => t.handoff_sent.to_string(),
            });
            self.show_status(&said);
            self.status.set_class_name("status done");
        } else {
            self.show_status(away.as_deref().unwrap_or(""));
            let _ = self.handoff_form(t.handoff_ask);
        }
    }

    /// "How did we do?": five stars and an optional comment, sent once.
    fn rating_form(self: &Rc<Self>) -> Result<(), JsValue> {
        if self.list.query_selector(".rating")?.is_some() {
            return Ok(());
        }
        let t = self.texts();
        let form = self.document.create_element("form")?;
        attributes(&form, &[("class", "rating"), ("novalidate", "")])?;
        let ask = self.document.create_element("p")?;
        attributes(&ask, &[("id", "lodestar-rating-ask")])?;
        ask.set_text_content(Some(t.rating_ask));
        let stars = self.document.create_element("div")?;
        attributes(&stars, &[("class", "stars"), ("role", "group"), ("aria-labelledby", "lodestar-rating-ask")])?;
        let score = Rc::new(Cell::new(0u8));
        let mut buttons: Vec<HtmlElement> = Vec::new();
        for n in 1..=5u8 {
            let star: HtmlElement = self.document.create_element("button")?.dyn_into()?;
            let label = t.rating_star.replace("{n}", &n.to_string());
            attributes(
                &star,
                &[("type", "button"), ("class", "star"), ("aria-label", &label), ("aria-pressed", "false")],
            )?;
            star.set_text_content(Some("\u{2605}"));
            stars.append_child(&star)?;
            buttons.push(star);
        }
        let buttons = Rc::new(buttons);
        let error = self.document.create_element("div")?;
        attributes(&error, &[("class", "handoff-error"), ("role", "alert")])?;
        for (i, star) in buttons.iter().enumerate() {
            let (score, all, error) = (score.clone(), buttons.clone(), error.clone());
            on(star, "click", move |_| {
                score.set(i as u8 + 1);
                error.set_text_content(None);
                for (j, other) in all.iter().enumerate() {
                    let on = j <= i;
                    let _ = if on { other.class_list().add_1("on") } else { other.class_list().remove_1("on") };
                    let _ = other.set_attribute("aria-pressed", if j == i { "true" } else { "false" });
                }
            })?;
        }
        let comment: HtmlTextAreaElement = self.document.create_element("textarea")?.dyn_into()?;
        attributes(
            &comment,
            &[
                ("rows", "2"),
                ("maxlength", "1000"),
                ("placeholder", t.rating_comment),
                ("aria-label", t.rating_comment),
            ],
        )?;
        let send: HtmlElement = self.document.create_element("button")?.dyn_into()?;
        attributes(&send, &[("type", "submit"), ("class", "send")])?;
        send.set_text_content(Some(t.rating_send));
        for part in [&ask, &stars, comment.as_ref(), send.as_ref(), &error] {
            form.append_child(part)?;
        }
        self.list.append_child(&form)?;
        self.scroll_down();
        let (w, sent_form) = (self.clone(), form.clone());
        on(&form, "submit", move |event| {
            event.prevent_default();
            if score.get() == 0 {
                error.set_text_content(Some(w.texts().rating_pick));
                return;
            }
            let body = object(&[
                ("token", JsValue::from(w.token.borrow().clone().unwrap_or_default())),
                ("score", JsValue::from(score.get())),
                ("comment", JsValue::from(comment.value())),
            ]);
            let (w, form, error) = (w.clone(), sent_form.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match net::send(&format!("{}rating", w.api), Some(&body)).await {
                    Ok(_) => {
                        form.set_inner_html("");
                        if let Ok(thanks) = w.document.create_element("p") {
                            thanks.set_text_content(Some(w.texts().rating_thanks));
                            let _ = form.append_child(&thanks);
                        }
                    }
                    Err(Failure::Refused { message, .. }) if !message.is_empty() => {
                        error.set_text_content(Some(&message))
                    }
                    Err(_) => error.set_text_content(Some(w.texts().failed)),
                }
            });
        })
    }

    fn handoff_form(self: &Rc<Self>, ask: &str) -> Result<(), JsValue> {
        let t = self.texts();
        let form = self.document.create_element("form")?;
        // Our own message, in the widget's language, instead of the browser's bubble.
        attributes(&form, &[("class", "handoff"), ("novalidate", "")])?;
        let label = self.document.create_element("label")?;
        attributes(&label, &[("for", "lodestar-handoff-email")])?;
        label.set_text_content(Some(ask));
        let input: HtmlInputElement = self.document.create_element("input")?.dyn_into()?;
        attributes(
            &input,
            &[("id", "lodestar-handoff-email"), ("type", "email"), ("autocomplete", "email"), ("placeholder", t.email)],
        )?;
        let send: HtmlElement = self.document.create_element("button")?.dyn_into()?;
        attributes(&send, &[("type", "submit"), ("class", "send")])?;
        send.set_text_content(Some(t.send));
        let row = self.document.create_element("div")?;
        row.set_class_name("row");
        row.append_child(&input)?;
        row.append_child(&send)?;
        let error = self.document.create_element("div")?;
        attributes(&error, &[("class", "handoff-error"), ("role", "alert")])?;
        form.append_child(&label)?;
        form.append_child(&row)?;
        form.append_child(&error)?;
        self.list.append_child(&form)?;
        self.scroll_down();
        let w = self.clone();
        on(&form, "submit", move |event| {
            event.prevent_default();
            let email = input.value();
            if !looks_like_email(&email) {
                error.set_text_content(Some(w.texts().email_invalid));
                let _ = input.focus();
                return;
            }
            error.set_text_content(Some(""));
            let w = w.clone();
            wasm_bindgen_futures::spawn_local(async move { w.hand_off(Some(email.trim().to_owned())).await });
        })
    }

    fn append_text_bubble(&self, author: &str, text: &str) -> Result<HtmlElement, JsValue> {
        let bubble: HtmlElement = self.document.create_element("div")?.dyn_into()?;
        bubble.set_class_name(&format!("msg {author}"));
        bubble.set_text_content(Some(text));
        self.list.append_child(&bubble)?;
        Ok(bubble)
    }

    /// A stored message: text with `[n]` turned into links to its sources,
    /// the sources, a note, feedback buttons and (for the latest) follow-ups.
    fn render_message(self: &Rc<Self>, message: &JsValue, latest: bool) -> Result<(), JsValue> {
        let author = text(message, "author").unwrap_or_else(|| "bot".into());
        let bubble: HtmlElement = self.document.create_element("div")?.dyn_into()?;
        bubble.set_class_name(&format!("msg {author}"));
        let t = self.texts();
        if author != "visitor" {
            let who = self.document.create_element("span")?;
            who.set_class_name("who");
            let name = text(message, "author_name");
            who.set_text_content(Some(match (author.as_str(), name.as_deref()) {
                ("agent", Some(name)) => name,
                ("agent", None) => t.agent,
                _ => t.assistant,
            }));
            bubble.append_child(&who)?;
        }
        let citations = Array::from(&field(message, "citations"));
        // Each source: a link when it has a web address, else its quoted
        // passage, opened in place. Built first so `[n]` can open them.
        let sources = self.document.create_element("div")?;
        sources.set_class_name("sources");
        let heading = self.document.create_element("span")?;
        heading.set_text_content(Some(t.sources));
        sources.append_child(&heading)?;
        let mut entries: Vec<(u32, Cited)> = Vec::new();
        for citation in citations.iter() {
            let number = field(&citation, "number").as_f64().unwrap_or(0.0) as u32;
            let label = format!("[{number}] {}", text_or_empty(&citation, "title"));
            let url = text(&citation, "url").filter(|u| is_web_link(u));
            let (entry, cited): (Element, Cited) = match (url, text(&citation, "quote").filter(|q| !q.is_empty())) {
                (Some(url), _) => (self.link(&label, &url)?.into(), Cited::Link(url)),
                (None, Some(quote)) => {
                    let details = self.document.create_element("details")?;
                    let summary = self.document.create_element("summary")?;
                    summary.set_text_content(Some(&label));
                    let passage = self.document.create_element("blockquote")?;
                    passage.set_text_content(Some(&quote));
                    details.append_child(&summary)?;
                    details.append_child(&passage)?;
                    (details.clone(), Cited::Quote(details))
                }
                (None, None) => {
                    let span = self.document.create_element("span")?;
                    span.set_text_content(Some(&label));
                    (span, Cited::Title)
                }
            };
            sources.append_child(&entry)?;
            entries.push((number, cited));
        }
        let body = text(message, "body").unwrap_or_default();
        for (piece, citation) in split_citations(&body) {
            let entry = citation.and_then(|n| entries.iter().find(|(number, _)| *number == n));
            match entry {
                Some((number, Cited::Link(url))) => {
                    let link = self.link(&format!("[{number}]"), url)?;
                    bubble.append_child(&link)?;
                }
                Some((number, Cited::Quote(details))) => {
                    let cite = self.document.create_element("button")?;
                    attributes(&cite, &[("type", "button"), ("class", "cite")])?;
                    cite.set_text_content(Some(&format!("[{number}]")));
                    let details = details.clone();
                    on(&cite, "click", move |_| {
                        let _ = details.set_attribute("open", "");
                        details.scroll_into_view();
                    })?;
                    bubble.append_child(&cite)?;
                }
                _ => {
                    bubble.append_child(&self.document.create_text_node(piece))?;
                }
            }
        }
        if citations.length() > 0 {
            bubble.append_child(&sources)?;
        }
        if let Some(note) = text(message, "note") {
            let n = self.document.create_element("div")?;
            n.set_class_name("note");
            n.set_text_content(Some(&note));
            bubble.append_child(&n)?;
        }
        if author == "bot" {
            if let Some(id) = text(message, "id") {
                let row = self.feedback_row(&id, field(message, "feedback").as_f64())?;
                bubble.append_child(&row)?;
            }
        }
        self.list.append_child(&bubble)?;
        if latest && author == "bot" {
            self.show_chips(&strings(&field(message, "suggestions")));
        }
        Ok(())
    }

    fn link(&self, label: &str, url: &str) -> Result<HtmlElement, JsValue> {
        let a: HtmlElement = self.document.create_element("a")?.dyn_into()?;
        attributes(&a, &[("href", url), ("target", "_blank"), ("rel", "noopener noreferrer nofollow")])?;
        a.set_text_content(Some(label));
        Ok(a)
    }

    fn feedback_row(self: &Rc<Self>, message_id: &str, current: Option<f64>) -> Result<Element, JsValue> {
        let t = self.texts();
        let row = self.document.create_element("div")?;
        row.set_class_name("feedback");
        let mut buttons = Vec::new();
        for (value, symbol, label) in [(1, "👍", t.helpful), (-1, "👎", t.not_helpful)] {
            let button: HtmlElement = self.document.create_element("button")?.dyn_into()?;
            let pressed = if current == Some(f64::from(value)) { "true" } else { "false" };
            attributes(
                &button,
                &[("type", "button"), ("aria-label", label), ("title", label), ("aria-pressed", pressed)],
            )?;
            button.set_text_content(Some(symbol));
            row.append_child(&button)?;
            buttons.push((value, button));
        }
        let thanks = self.document.create_element("span")?;
        row.append_child(&thanks)?;
        for (value, button) in &buttons {
            let (w, id, value, thanks) = (self.clone(), message_id.to_string(), *value, thanks.clone());
            let all: Vec<HtmlElement> = buttons.iter().map(|(_, b)| b.clone()).collect();
            on(button, "click", move |_| {
                let (w, id, thanks, all) = (w.clone(), id.clone(), thanks.clone(), all.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let token = w.token.borrow().clone().unwrap_or_default();
                    let body = object(&[("token", token.into()), ("message_id", id.into()), ("value", value.into())]);
                    if net::send(&format!("{}feedback", w.api), Some(&body)).await.is_ok() {
                        for (i, b) in all.iter().enumerate() {
                            let pressed = (i == 0) == (value == 1);
                            let _ = b.set_attribute("aria-pressed", if pressed { "true" } else { "false" });
                        }
                        thanks.set_text_content(Some(w.texts().thanks_feedback));
                    }
                });
            })?;
        }
        Ok(row)
    }

    fn show_chips(self: &Rc<Self>, labels: &[String]) {
        self.remove_chips();
        if labels.is_empty() {
            return;
        }
        let Ok(chips) = self.document.create_element("div") else { return };
        chips.set_class_name("chips");
        for label in labels {
            let Ok(chip) = self.document.create_element("button") else { continue };
            chip.set_class_name("chip");
            let _ = chip.set_attribute("type", "button");
            chip.set_text_content(Some(label));
            let (w, label) = (self.clone(), label.clone());
            let _ = on(&chip, "click", move |_| w.clone().submit(Some(label.clone())));
            let _ = chips.append_child(&chip);
        }
        let _ = self.list.append_child(&chips);
    }

    fn remove_chips(&self) {
        if let Ok(Some(chips)) = self.list.query_selector(".chips") {
            chips.remove();
        }
    }

    fn show_status(&self, message: &str) {
        self.status.set_class_name("status");
        self.status.set_text_content(Some(message));
    }

    fn scroll_down(&self) {
        self.list.set_scroll_top(self.list.scroll_height());
    }
}

/// What a citation marker in an answer leads to.
enum Cited {
    /// The page, in a new tab.
    Link(String),
    /// The quoted passage's `<details>`, opened in place.
    Quote(Element),
    /// Nothing to open (an answer stored before quotes).
    Title,
}

/// Splits `[n]` citation markers out of `body`, keeping everything else.
fn split_citations(body: &str) -> Vec<(&str, Option<u32>)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let number = after.find(']').and_then(|close| Some((after[..close].parse::<u32>().ok()?, close)));
        match number {
            Some((n, close)) => {
                out.push((&rest[..open], None));
                out.push((&rest[open..open + close + 2], Some(n)));
                rest = &after[close + 1..];
            }
            None => {
                out.push((&rest[..open + 1], None));
                rest = after;
            }
        }
    }
    out.push((rest, None));
    out
}

/// A constructed stylesheet, which a host page's CSP cannot block the way it
/// blocks an inline `<style>`; browsers without them get the element.
fn add_style(document: &Document, shadow: &web_sys::ShadowRoot) -> Result<(), JsValue> {
    if let Ok(sheet) = web_sys::CssStyleSheet::new() {
        if sheet.replace_sync(STYLE).is_ok()
            && Reflect::set(shadow, &JsValue::from_str("adoptedStyleSheets"), &Array::of1(&sheet)).is_ok()
        {
            return Ok(());
        }
    }
    let style = document.create_element("style")?;
    style.set_text_content(Some(STYLE));
    shadow.append_child(&style)?;
    Ok(())
}

fn is_web_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn is_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    value
        .split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !domain.ends_with('.'))
}

fn text_or_empty(value: &JsValue, name: &str) -> String {
    text(value, name).unwrap_or_default()
}

fn strings(value: &JsValue) -> Vec<String> {
    Array::from(value).iter().filter_map(|v| v.as_string()).collect()
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object.into()
}

/// The page's language, then the browser's.
fn page_languages(document: &Document) -> Vec<String> {
    let mut languages = Vec::new();
    if let Some(lang) = document.document_element().and_then(|e| e.get_attribute("lang")) {
        languages.push(lang);
    }
    if let Some(window) = web_sys::window() {
        languages.extend(window.navigator().languages().iter().filter_map(|l| l.as_string()));
    }
    languages
}

/// A moment in the visitor's own time zone and language ("Monday,
/// December 28 at 9:00 AM").
fn local_time(ms: f64, lang: &str) -> String {
    let options = object(&[
        ("weekday", JsValue::from("long")),
        ("month", JsValue::from("long")),
        ("day", JsValue::from("numeric")),
        ("hour", JsValue::from("numeric")),
        ("minute", JsValue::from("2-digit")),
    ]);
    js_sys::Date::new(&JsValue::from_f64(ms)).to_locale_string(lang, &options).into()
}

fn attributes(element: &Element, pairs: &[(&str, &str)]) -> Result<(), JsValue> {
    for (name, value) in pairs {
        element.set_attribute(name, value)?;
    }
    Ok(())
}

fn on(
    target: &web_sys::EventTarget,
    event: &str,
    handler: impl FnMut(web_sys::Event) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
    // Listeners live as long as the page: the widget is never unmounted.
    closure.forget();
    Ok(())
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// `localStorage` may be unavailable (private modes, blocked storage):
/// the widget then works for this page view only.
fn stored(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

fn store(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(key, value);
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
