use leptos::prelude::*;
use leptos_meta::{Meta, Title};

struct Audience {
    who: &'static str,
    headline: &'static str,
    points: [&'static str; 3],
    /// Where to try it now, if anyone can.
    try_it: Option<(&'static str, &'static str)>,
}

const AUDIENCES: [Audience; 3] = [
    Audience {
        who: "For businesses",
        headline: "A support bot that knows your business",
        points: [
            "Feed it your files, web pages, sitemaps and Q&A",
            "Work the inbox and tickets with AI-drafted replies",
            "See what visitors ask, and what the bot couldn't answer",
        ],
        try_it: None,
    },
    Audience {
        who: "For your visitors",
        headline: "Answers in seconds, with sources",
        points: [
            "A tiny widget that loads fast on any site",
            "Streamed answers that cite your own pages",
            "One click to reach a human when it matters",
        ],
        try_it: None,
    },
    Audience {
        who: "For career changers",
        headline: "An AI mentor that knows your path",
        points: [
            "Role recommendations with the reasons behind them",
            "A readiness score and skill gaps, quick wins first",
            "A roadmap, and a mentor to ask about it",
        ],
        try_it: Some(("/mentor", "Try the career mentor")),
    },
];

const STEPS: [(&str, &str); 3] = [
    (
        "Add your knowledge",
        "Upload documents or point Lodestar at your site. It reads and indexes everything privately, section by section.",
    ),
    (
        "Embed one script tag",
        "Paste a single line into your site. The widget matches your colours and speaks your visitors' language.",
    ),
    (
        "Answer and hand off",
        "Visitors get grounded answers with citations; your team takes over whenever a human is needed.",
    ),
];

#[component]
pub fn LandingPage() -> impl IntoView {
    view! {
        <Title text="" />
        <Meta name="description" content="Lodestar is an AI chat assistant that answers from your own knowledge, with citations, a support desk and a career mentor. Private, fast and it works offline." />
        <AccountDeletedNotice />
        <section class="hero">
            <div class="container hero-grid">
                <div>
                    <p class="eyebrow">"AI chat, grounded in what you know"</p>
                    <h1>"Answers your customers can trust, from a bot you control"</h1>
                    <p class="lead">
                        "Lodestar answers visitors from your own documents and pages, cites its sources, "
                        "and hands off to your team when it should. Smaller, faster and more private "
                        "than the usual suspects, and it works offline out of the box."
                    </p>
                    <div class="actions">
                        <a class="button button-primary" href="/signup">"Start free"</a>
                        <a class="button" href="/pricing">"See plans"</a>
                    </div>
                </div>
                <ChatPreview />
            </div>
        </section>

        <section class="section" aria-labelledby="audiences-title">
            <div class="container">
                <h2 id="audiences-title">"One product, three kinds of people"</h2>
                <div class="card-grid">
                    {AUDIENCES
                        .iter()
                        .map(|a| {
                            view! {
                                <article class="card">
                                    <p class="eyebrow">{a.who}</p>
                                    <h3>{a.headline}</h3>
                                    <ul class="checks">
                                        {a.points.iter().map(|p| view! { <li>{*p}</li> }).collect_view()}
                                    </ul>
                                    {a.try_it.map(|(href, label)| view! { <a class="button" href=href>{label}</a> })}
                                </article>
                            }
                        })
                        .collect_view()}
                </div>
            </div>
        </section>

        <section class="section section-alt" aria-labelledby="how-title">
            <div class="container">
                <h2 id="how-title">"How it works"</h2>
                <ol class="steps">
                    {STEPS
                        .iter()
                        .map(|(title, text)| {
                            view! {
                                <li class="step">
                                    <h3>{*title}</h3>
                                    <p>{*text}</p>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </div>
        </section>

        <section class="section" aria-labelledby="private-title">
            <div class="container split">
                <div>
                    <h2 id="private-title">"Private by default, online when you want"</h2>
                    <p>
                        "With no AI provider configured, Lodestar still answers: it composes replies from "
                        "your best-matching passages, with citations, using a local embedding model. "
                        "Connect OpenAI, Anthropic, Ollama or any OpenAI-compatible server when you're ready."
                    </p>
                </div>
                <ul class="checks">
                    <li>"Your data stays in your own database"</li>
                    <li>"Every workspace is isolated from every other"</li>
                    <li>"SQLite on one machine, PostgreSQL at scale"</li>
                </ul>
            </div>
        </section>

        <section class="section cta" aria-labelledby="cta-title">
            <div class="container narrow center">
                <h2 id="cta-title">"Put a trustworthy assistant on your site this week"</h2>
                <p class="lead">"Start on the free plan: 100 bot messages a month, no card needed."</p>
                <div class="actions center">
                    <a class="button button-primary" href="/signup">"Start free"</a>
                    <a class="button" href="/pricing">"Compare plans"</a>
                </div>
            </div>
        </section>
    }
}

/// A static picture of the widget in use, drawn with HTML so it is crisp,
/// themeable and costs no image download.
#[component]
fn ChatPreview() -> impl IntoView {
    view! {
        <figure class="chat-preview" aria-label="Example conversation with a Lodestar assistant">
            <div class="chat-preview-header">"Acme Help"</div>
            <p class="bubble bubble-visitor">"Can I change my delivery address after ordering?"</p>
            <p class="bubble bubble-bot">
                "Yes, until the order ships. Open "
                <em>"Orders"</em>
                ", choose the order and select "
                <em>"Edit address"</em>
                ". "
                <sup class="cite">"[1]"</sup>
            </p>
            <p class="chat-preview-source">"[1] Shipping FAQ · Changing an order"</p>
            <figcaption class="sr-only">"The assistant answers and cites the shipping FAQ."</figcaption>
        </figure>
    }
}

/// After an account is deleted the server sends the person here with
/// `?account_deleted=1`: confirm it plainly.
#[component]
fn AccountDeletedNotice() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let deleted = move || query.read().get("account_deleted").is_some_and(|v| v == "1");
    view! {
        <Show when=deleted>
            <div class="container">
                <div class="notice notice-success" role="status">
                    <p>"Your account and its data have been deleted. Thank you for trying Lodestar."</p>
                </div>
            </div>
        </Show>
    }
}
