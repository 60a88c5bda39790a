//! The widget's own words in English, Spanish, French and German, chosen
//! from the workspace's setting, else the page's `lang`, else the browser.

pub struct Texts {
    /// The language's tag, for dates in the visitor's own words.
    pub lang: &'static str,
    pub open: &'static str,
    pub close: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub human: &'static str,
    /// After a hand-off, when the team has no email yet: no one can reply
    /// in the chat yet, so the team follows up by email.
    pub handoff_ask: &'static str,
    /// The same while people are at the desk: the email is for if they must leave.
    pub handoff_ask_waiting: &'static str,
    /// After a hand-off, when the team has the visitor's email.
    pub handoff_sent: &'static str,
    /// The same, naming the address (`{email}`).
    pub handoff_sent_to: &'static str,
    pub typing: &'static str,
    pub helpful: &'static str,
    pub not_helpful: &'static str,
    pub thanks_feedback: &'static str,
    pub sources: &'static str,
    pub reconnecting: &'static str,
    pub failed: &'static str,
    pub email: &'static str,
    pub email_invalid: &'static str,
    pub offline_mode: &'static str,
    pub assistant: &'static str,
    pub agent: &'static str,
    /// A person from the team took the conversation over (`{name}`).
    pub joined: &'static str,
    /// The person handed the conversation back to the assistant.
    pub handed_back: &'static str,
    /// The person answering is typing (`{name}`).
    pub agent_typing: &'static str,
    /// Under the visitor's message: a person from the team has read it.
    pub seen: &'static str,
    /// Out of business hours with nobody in: when the team is back (`{when}`).
    pub team_away: &'static str,
    /// After a person resolved the conversation: the rating's question.
    pub rating_ask: &'static str,
    /// Each star's name for screen readers (`{n}`).
    pub rating_star: &'static str,
    pub rating_comment: &'static str,
    pub rating_send: &'static str,
    /// Sent without choosing a star.
    pub rating_pick: &'static str,
    pub rating_thanks: &'static str,
    /// After a hand-off with people at the desk: the visitor's place (`{n}`).
    pub queue_position: &'static str,
    /// The usual wait, in whole minutes (`{minutes}`).
    pub queue_wait: &'static str,
    /// When there is no usual wait yet.
    pub queue_soon: &'static str,
    /// While waiting, with the email the team has (`{email}`).
    pub queue_email: &'static str,
    /// While the fair-use check runs.
    pub checking: &'static str,
    /// When it cannot be passed now.
    pub busy: &'static str,
}

const EN: Texts = Texts {
    lang: "en",
    open: "Open chat",
    close: "Close chat",
    placeholder: "Type your question…",
    send: "Send",
    human: "Talk to a human",
    handoff_ask: "Our team will follow up by email. Where should they write to you?",
    handoff_ask_waiting: "If you have to leave, where should the team write to you?",
    handoff_sent: "Thanks! Our team has your question and will reply by email.",
    handoff_sent_to: "Thanks! Our team has your question and will reply to {email}.",
    typing: "Typing…",
    helpful: "Helpful",
    not_helpful: "Not helpful",
    thanks_feedback: "Thanks for the feedback!",
    sources: "Sources",
    reconnecting: "Connection lost. Reconnecting…",
    failed: "Something went wrong. Please try again.",
    email: "Your email, so we can reply",
    email_invalid: "Please enter a valid email address.",
    offline_mode: "Answers come from our help content.",
    assistant: "Assistant",
    agent: "Team",
    joined: "{name} joined the chat",
    handed_back: "The assistant is answering again.",
    agent_typing: "{name} is typing…",
    seen: "Seen",
    team_away: "The team is away until {when}.",
    rating_ask: "How did we do?",
    rating_star: "{n} of 5 stars",
    rating_comment: "Anything to add? (optional)",
    rating_send: "Send rating",
    rating_pick: "Choose from 1 to 5 stars.",
    rating_thanks: "Thanks for your rating!",
    queue_position: "You're number {n} in line for a person.",
    queue_wait: "Someone usually joins within about {minutes} min.",
    queue_soon: "Someone from the team will join you here shortly.",
    queue_email: "If you leave, they'll write to {email}.",
    checking: "One moment: checking your connection…",
    busy: "Many questions came from your network today. Please try again later or talk to a human.",
};

const ES: Texts = Texts {
    lang: "es",
    open: "Abrir chat",
    close: "Cerrar chat",
    placeholder: "Escribe tu pregunta…",
    send: "Enviar",
    human: "Hablar con una persona",
    handoff_ask: "Nuestro equipo te responderá por correo. ¿A qué dirección te escribimos?",
    handoff_ask_waiting: "Si tienes que irte, ¿a qué dirección te escribe el equipo?",
    handoff_sent: "¡Gracias! Nuestro equipo tiene tu pregunta y te responderá por correo.",
    handoff_sent_to: "¡Gracias! Nuestro equipo tiene tu pregunta y te responderá a {email}.",
    typing: "Escribiendo…",
    helpful: "Útil",
    not_helpful: "No es útil",
    thanks_feedback: "¡Gracias por tu opinión!",
    sources: "Fuentes",
    reconnecting: "Conexión perdida. Reconectando…",
    failed: "Algo salió mal. Inténtalo de nuevo.",
    email: "Tu correo, para poder responderte",
    email_invalid: "Introduce un correo electrónico válido.",
    offline_mode: "Las respuestas provienen de nuestro centro de ayuda.",
    assistant: "Asistente",
    agent: "Equipo",
    joined: "{name} se ha unido al chat",
    handed_back: "El asistente vuelve a responder.",
    agent_typing: "{name} está escribiendo…",
    seen: "Visto",
    team_away: "El equipo no está disponible hasta el {when}.",
    rating_ask: "¿Qué tal lo hicimos?",
    rating_star: "{n} de 5 estrellas",
    rating_comment: "¿Algo que añadir? (opcional)",
    rating_send: "Enviar valoración",
    rating_pick: "Elige de 1 a 5 estrellas.",
    rating_thanks: "¡Gracias por tu valoración!",
    queue_position: "Eres el número {n} en la fila para hablar con una persona.",
    queue_wait: "Normalmente alguien se une en unos {minutes} min.",
    queue_soon: "Alguien del equipo se unirá aquí en breve.",
    queue_email: "Si te vas, te escribirán a {email}.",
    checking: "Un momento: comprobando tu conexión…",
    busy: "Hoy han llegado muchas preguntas desde tu red. Inténtalo más tarde o habla con una persona.",
};

const FR: Texts = Texts {
    lang: "fr",
    open: "Ouvrir le chat",
    close: "Fermer le chat",
    placeholder: "Posez votre question…",
    send: "Envoyer",
    human: "Parler à un humain",
    handoff_ask: "Notre équipe vous répondra par e-mail. À quelle adresse vous écrire ?",
    handoff_ask_waiting: "Si vous devez partir, à quelle adresse l'équipe peut-elle vous écrire ?",
    handoff_sent: "Merci ! Notre équipe a bien reçu votre question et vous répondra par e-mail.",
    handoff_sent_to: "Merci ! Notre équipe a bien reçu votre question et vous répondra à {email}.",
    typing: "En train d'écrire…",
    helpful: "Utile",
    not_helpful: "Pas utile",
    thanks_feedback: "Merci pour votre avis !",
    sources: "Sources",
    reconnecting: "Connexion perdue. Reconnexion…",
    failed: "Une erreur s'est produite. Veuillez réessayer.",
    email: "Votre e-mail, pour vous répondre",
    email_invalid: "Veuillez saisir une adresse e-mail valide.",
    offline_mode: "Les réponses viennent de notre centre d'aide.",
    assistant: "Assistant",
    agent: "Équipe",
    joined: "{name} a rejoint la conversation",
    handed_back: "L’assistant répond de nouveau.",
    agent_typing: "{name} est en train d'écrire…",
    seen: "Vu",
    team_away: "L'équipe est absente jusqu'au {when}.",
    rating_ask: "Comment avons-nous fait ?",
    rating_star: "{n} sur 5 étoiles",
    rating_comment: "Quelque chose à ajouter ? (facultatif)",
    rating_send: "Envoyer la note",
    rating_pick: "Choisissez de 1 à 5 étoiles.",
    rating_thanks: "Merci pour votre note !",
    queue_position: "Vous êtes numéro {n} dans la file pour parler à quelqu'un.",
    queue_wait: "Quelqu'un vous rejoint d'habitude en {minutes} min environ.",
    queue_soon: "Quelqu'un de l'équipe vous rejoindra ici sous peu.",
    queue_email: "Si vous partez, l'équipe vous écrira à {email}.",
    checking: "Un instant : vérification de votre connexion…",
    busy:
        "Beaucoup de questions sont venues de votre réseau aujourd’hui. Réessayez plus tard ou parlez à une personne.",
};

const DE: Texts = Texts {
    lang: "de",
    open: "Chat öffnen",
    close: "Chat schließen",
    placeholder: "Ihre Frage…",
    send: "Senden",
    human: "Mit einem Menschen sprechen",
    handoff_ask: "Unser Team antwortet Ihnen per E-Mail. An welche Adresse dürfen wir schreiben?",
    handoff_ask_waiting: "Falls Sie gehen müssen: An welche Adresse darf das Team schreiben?",
    handoff_sent: "Danke! Unser Team hat Ihre Frage und antwortet per E-Mail.",
    handoff_sent_to: "Danke! Unser Team hat Ihre Frage und antwortet an {email}.",
    typing: "Schreibt…",
    helpful: "Hilfreich",
    not_helpful: "Nicht hilfreich",
    thanks_feedback: "Danke für Ihr Feedback!",
    sources: "Quellen",
    reconnecting: "Verbindung unterbrochen. Verbinde neu…",
    failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
    email: "Ihre E-Mail, damit wir antworten können",
    email_invalid: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
    offline_mode: "Die Antworten stammen aus unserem Hilfe-Center.",
    assistant: "Assistent",
    agent: "Team",
    joined: "{name} ist dem Chat beigetreten",
    handed_back: "Der Assistent antwortet wieder.",
    agent_typing: "{name} schreibt…",
    seen: "Gesehen",
    team_away: "Das Team ist bis {when} nicht erreichbar.",
    rating_ask: "Wie war unser Service?",
    rating_star: "{n} von 5 Sternen",
    rating_comment: "Möchten Sie etwas hinzufügen? (optional)",
    rating_send: "Bewertung senden",
    rating_pick: "Wählen Sie 1 bis 5 Sterne.",
    rating_thanks: "Danke für Ihre Bewertung!",
    queue_position: "Sie sind Nummer {n} in der Warteschlange für eine Person.",
    queue_wait: "Meist ist in etwa {minutes} Min. jemand da.",
    queue_soon: "Gleich ist jemand aus dem Team für Sie da.",
    queue_email: "Falls Sie gehen, schreibt das Team an {email}.",
    checking: "Einen Moment: Ihre Verbindung wird geprüft…",
    busy: "Heute kamen viele Fragen aus Ihrem Netzwerk. Bitte versuchen Sie es später erneut oder sprechen Sie mit einem Menschen.",
};

/// The first of `candidates` (e.g. "fr-CA", "de") that we speak.
pub fn pick(candidates: &[String]) -> &'static Texts {
    for candidate in candidates {
        let primary = candidate.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => return &EN,
            "es" => return &ES,
            "fr" => return &FR,
            "de" => return &DE,
            _ => {}
        }
    }
    &EN
}
