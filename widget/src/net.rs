//! Talking to the widget API with `fetch`: JSON requests, and answers read
//! as Server-Sent Events from the response body as they arrive.

use js_sys::{Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ReadableStreamDefaultReader, RequestCredentials, RequestInit, RequestMode, Response, TextDecodeOptions, TextDecoder,
};

pub enum Failure {
    /// No answer at all: offline, or the connection dropped.
    Network,
    /// The server answered with an error a person can read.
    Refused { message: String, kind: String },
    /// Past the visitor's fair share: the answer comes once this challenge
    /// (a token and the bits of work it asks) is solved.
    Challenge { token: String, bits: u32 },
}

pub fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

pub fn text(value: &JsValue, name: &str) -> Option<String> {
    field(value, name).as_string()
}

/// GET `url`, or POST `body` (an object sent as JSON) to it.
pub async fn send(url: &str, body: Option<&JsValue>) -> Result<Response, Failure> {
    let init = RequestInit::new();
    init.set_mode(RequestMode::Cors);
    // The widget never sends the host page's cookies: it has its own token.
    init.set_credentials(RequestCredentials::Omit);
    if let Some(body) = body {
        init.set_method("POST");
        // A string body is sent as text/plain: a "simple" request, so no preflight round trip.
        let json = JSON::stringify(body).map_err(|_| Failure::Network)?;
        init.set_body(&json);
    }
    let window = web_sys::window().ok_or(Failure::Network)?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| Failure::Network)?
        .dyn_into()
        .map_err(|_| Failure::Network)?;
    if response.ok() {
        return Ok(response);
    }
    let error = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    let kind = text(&error, "kind").unwrap_or_default();
    if let (true, Some(token), Some(bits)) =
        (kind == "challenge", text(&error, "challenge"), field(&error, "bits").as_f64())
    {
        return Err(Failure::Challenge { token, bits: bits as u32 });
    }
    Err(Failure::Refused { message: text(&error, "error").unwrap_or_default(), kind })
}

pub async fn json(response: &Response) -> Result<JsValue, Failure> {
    let promise = response.json().map_err(|_| Failure::Network)?;
    JsFuture::from(promise).await.map_err(|_| Failure::Network)
}

/// Server-Sent Events from a response body, one `(event, data)` at a time.
pub struct Events {
    reader: ReadableStreamDefaultReader,
    decoder: TextDecoder,
    buffer: String,
    /// The `id` of the last event that had one (a live channel's entry number).
    last_id: Option<f64>,
}

impl Events {
    pub fn new(response: &Response) -> Option<Events> {
        let reader = response.body()?.get_reader().dyn_into().ok()?;
        Some(Events { reader, decoder: TextDecoder::new().ok()?, buffer: String::new(), last_id: None })
    }

    pub fn last_id(&self) -> Option<f64> {
        self.last_id
    }

    /// The next event, `Ok(None)` when the stream ended cleanly.
    pub async fn next(&mut self) -> Result<Option<(String, JsValue)>, Failure> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut data) = (String::new(), String::new());
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_string();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.strip_prefix(' ').unwrap_or(value));
                    } else if let Some(value) = line.strip_prefix("id:") {
                        self.last_id = value.trim().parse().ok().or(self.last_id);
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return Ok(Some((name, JSON::parse(&data).unwrap_or(JsValue::NULL))));
            }
            let chunk = JsFuture::from(self.reader.read()).await.map_err(|_| Failure::Network)?;
            if field(&chunk, "done").as_bool().unwrap_or(true) {
                return Ok(None);
            }
            let bytes: Uint8Array = field(&chunk, "value").dyn_into().map_err(|_| Failure::Network)?;
            // Streaming mode keeps a character split between chunks whole.
            let options = TextDecodeOptions::new();
            options.set_stream(true);
            let piece =
                self.decoder.decode_with_js_u8_array_and_options(&bytes, &options).map_err(|_| Failure::Network)?;
            self.buffer.push_str(&piece.replace("\r\n", "\n"));
        }
    }
}
