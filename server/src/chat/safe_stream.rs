//! A generated reply streamed to the visitor as it is written, never
//! showing text the finished reply's safety pass would change.

use tokio::sync::mpsc;

use super::{llm, safety, ChatEvent};

/// Streams a reply as it is written, but only text that is already safe:
/// what was sent is always a prefix of the safe form of what the provider
/// wrote so far. Only the reply's unsettled tail is kept and made safe again
/// on each piece (see [`safety::settled_len`]), so the work per piece does
/// not grow with the length of the answer.
pub struct SafeStream<'a> {
    /// What the provider wrote after the settled part.
    tail: String,
    /// The safe form of `tail` already sent.
    sent_tail: String,
    /// Bytes sent for the settled part.
    settled_sent: usize,
    events: &'a mpsc::Sender<ChatEvent>,
}

impl<'a> SafeStream<'a> {
    pub fn new(events: &'a mpsc::Sender<ChatEvent>) -> Self {
        SafeStream { tail: String::new(), sent_tail: String::new(), settled_sent: 0, events }
    }

    pub fn sent_anything(&self) -> bool {
        self.settled_sent > 0 || !self.sent_tail.is_empty()
    }

    /// What of `body`, the safe form of the whole reply, is still to be
    /// sent; `None` when it does not continue what was sent.
    pub fn rest_of<'b>(&self, body: &'b str) -> Option<&'b str> {
        body.get(self.settled_sent..)?.strip_prefix(self.sent_tail.as_str())
    }
}

#[async_trait::async_trait]
impl llm::Sink for SafeStream<'_> {
    async fn piece(&mut self, text: String) -> bool {
        self.tail.push_str(&text);
        let safe = safety::make_safe(&self.tail);
        let listening = match safe.strip_prefix(self.sent_tail.as_str()) {
            Some(new) if !new.is_empty() => {
                let text = new.to_owned();
                self.sent_tail = safe;
                self.events.send(ChatEvent::Delta { text }).await.is_ok()
            }
            _ => !self.events.is_closed(),
        };
        let cut = safety::settled_len(&self.tail);
        if cut > 0 {
            let settled = safety::make_safe(&self.tail[..cut]);
            if self.sent_tail.starts_with(&settled) {
                self.tail.drain(..cut);
                self.sent_tail.drain(..settled.len());
                self.settled_sent += settled.len();
            }
        }
        listening
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm::Sink;

    /// What a stream sends for `pieces`, and what it says of the whole safe answer.
    async fn streamed(pieces: &[&str]) -> (Vec<String>, Option<String>, usize) {
        let (sender, mut receiver) = mpsc::channel(1024);
        let mut stream = SafeStream::new(&sender);
        let mut longest_tail = 0;
        for piece in pieces {
            assert!(stream.piece((*piece).to_owned()).await);
            longest_tail = longest_tail.max(stream.tail.len() + stream.sent_tail.len());
        }
        let mut sent = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            match event {
                ChatEvent::Delta { text } => sent.push(text),
                other => panic!("unexpected {other:?}"),
            }
        }
        let body = safety::make_safe(&pieces.concat());
        (sent, stream.rest_of(&body).map(str::to_owned), longest_tail)
    }

    #[tokio::test]
    async fn a_stream_sends_what_remaking_the_whole_reply_safe_would_and_keeps_only_its_tail() {
        let replies = [
            "Refunds take 30 days [1]. See [the guide](https://help.example/refunds) or ask [2]. ",
            "Hi <script>alert(1)</script> there [1] ![x](https://evil.example/p.gif) end",
            "a < b [x](javascript:alert(1)) and [y](https://ok.example/(a)) done [3]",
            "Plain <b>bold</b> text, then [1] and a tail ",
        ];
        for reply in replies {
            let pieces: Vec<&str> = reply.split_inclusive(' ').collect();
            // The reference: the safe form of the whole reply so far, sent while it extends what was sent.
            let (mut raw, mut sent, mut expected) = (String::new(), String::new(), Vec::new());
            for piece in &pieces {
                raw.push_str(piece);
                let safe = safety::make_safe(&raw);
                if let Some(new) = safe.strip_prefix(sent.as_str()).filter(|new| !new.is_empty()) {
                    expected.push(new.to_owned());
                    sent = safe;
                }
            }
            let (deltas, rest, _) = streamed(&pieces).await;
            assert_eq!(deltas, expected, "{reply:?}");
            let body = safety::make_safe(reply);
            assert_eq!(rest, body.strip_prefix(sent.as_str()).map(str::to_owned), "{reply:?}");
        }
        let long = "plain words and [1] more ".repeat(100);
        let (deltas, rest, longest_tail) = streamed(&long.split_inclusive(' ').collect::<Vec<_>>()).await;
        assert_eq!(deltas.concat() + &rest.expect("plain text continues"), long);
        assert!(longest_tail < 100, "the stream kept {longest_tail} bytes");
    }
}
