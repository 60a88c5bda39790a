//! OpenAI's Chat Completions wire for streamed answers: rig's own `Chat`
//! wire (requests, decoding, errors), minus two costs rig pays per chunk
//! that this product does not need. At thousands of concurrent answers
//! they were the server's largest use of CPU.
//!
//! - rig classifies each chunk by parsing it four times (once to look for
//!   an error envelope, twice to find its `object` and `choices` keys, once
//!   more for the decoder), each time into an insertion-ordered map with a
//!   SipHash index. Here a plain `chat.completion.chunk` is parsed once and
//!   handed to rig's decoder as the same event; every other frame (`[DONE]`,
//!   error envelopes, whole replies, gateways that omit `object`, malformed
//!   JSON) goes through rig's own classifier unchanged.
//! - rig rebuilds the whole `chat.completion` document from the chunks for
//!   the response's `raw`, which nothing here reads.

use rig_core::error::EncodeError;
use rig_core::operation::Completion;
use rig_core::providers::openai::wire::Chat;
use rig_core::wire::document::{Reassemble, Serves};
use rig_core::wire::{Decoder, Descriptor, Encoded, Flow, Mode, Out, Request, Wire, WireEvent, WireFrame};
use rig_core::ProviderError;
use serde_json::Value;

/// rig's decoder for the wire, and its event type. Neither is nameable
/// outside rig except through the traits.
type ChatDecoder = <Chat as Wire>::Decoder<'static>;
type ChatEvent = <ChatDecoder as Decoder<'static, Completion>>::Event;

/// The `Chat` wire with the cheaper classification and no raw document.
#[derive(Clone)]
pub struct StreamedChat(pub Chat);

impl Wire for StreamedChat {
    type Op = Completion;
    type Payload = Encoded;
    type Frame = WireFrame;
    type Decoder<'id> = ChunkDecoder;
    type Reassembler = NoDocument;

    fn describe(&self) -> Descriptor<'_> {
        self.0.describe()
    }

    fn encode(&self, request: Request<Self>, mode: Mode) -> Result<Encoded, EncodeError> {
        self.0.encode(request, mode)
    }

    fn decoder<'id>(&self) -> Self::Decoder<'id> {
        ChunkDecoder(self.0.decoder())
    }
}

/// rig's decoder, fed plain chunks parsed once.
pub struct ChunkDecoder(ChatDecoder);

impl<'id> Decoder<'id, Completion> for ChunkDecoder {
    type Event = ChatEvent;

    fn classify(&self, frame: WireFrame) -> WireEvent<ChatEvent> {
        match plain_chunk(&frame.as_str()) {
            Some(chunk) => WireEvent::Known(ChatEvent::Chunk(chunk)),
            None => self.0.classify(frame),
        }
    }

    fn decode(&mut self, event: ChatEvent, out: Out<'id, Completion>) -> Result<Flow, ProviderError> {
        self.0.decode(event, out)
    }

    fn eof(&mut self, out: Out<'id, Completion>) -> Result<Flow, ProviderError> {
        self.0.eof(out)
    }
}

/// `data` as JSON when it is a `chat.completion.chunk` without an `error`
/// key: what rig's classifier would also call a chunk.
fn plain_chunk(data: &str) -> Option<Value> {
    if !data.starts_with('{') {
        return None;
    }
    let chunk: Value = serde_json::from_str(data).ok()?;
    let fields = chunk.as_object()?;
    let is_chunk = fields.get("object").and_then(Value::as_str) == Some("chat.completion.chunk");
    (is_chunk && !fields.contains_key("error")).then_some(chunk)
}

/// Records no `raw` document for the reply.
#[derive(Default)]
pub struct NoDocument;

impl Reassemble<WireFrame> for NoDocument {
    fn absorb(&mut self, _frame: &WireFrame) {}

    fn finish(self) -> Value {
        Value::Null
    }
}

impl Serves<Completion> for NoDocument {}

#[cfg(test)]
mod tests {
    use super::plain_chunk;

    #[test]
    fn only_plain_chunks_take_the_single_parse() {
        let chunk = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;
        assert!(plain_chunk(chunk).is_some());
        for other in [
            "[DONE]",
            r#"{"object":"chat.completion.chunk","error":{"message":"overloaded"}}"#,
            r#"{"object":"chat.completion","choices":[{"message":{"content":"Hi"}}]}"#,
            r#"{"choices":[{"delta":{"content":"Hi"}}]}"#,
            r#"{"object":"chat.completion.chunk","choices":[{"#,
            r#""a bare string""#,
        ] {
            assert!(plain_chunk(other).is_none(), "{other}");
        }
    }
}
