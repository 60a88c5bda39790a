//! Files sent from the browser with `XMLHttpRequest` (a `fetch` can't
//! report upload progress): the knowledge base's uploads and the career
//! mentor's résumé. Each caller reads the answer its own endpoint gives.

/// How an upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The server answered (any status; 0 never reaches here).
    Answered {
        status: u16,
        body: String,
    },
    Cancelled,
    /// The request never reached the server, or the connection dropped.
    Unreachable,
}

#[cfg(feature = "hydrate")]
pub use browser::{files_of, Transfer};

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Event, FileList, FormData, ProgressEvent, XmlHttpRequest};

    use super::Sent;

    pub fn files_of(list: Option<FileList>) -> Vec<web_sys::File> {
        let Some(list) = list else { return Vec::new() };
        (0..list.length()).filter_map(|i| list.get(i)).collect()
    }

    /// One multipart upload (each file a `file` part), with the handlers
    /// it reports through. Dropping it detaches them and aborts the
    /// request if it is still running.
    pub struct Transfer {
        xhr: XmlHttpRequest,
        _progress: Closure<dyn FnMut(ProgressEvent)>,
        _finished: Closure<dyn FnMut(Event)>,
    }

    impl Transfer {
        /// Starts sending; `on_progress` gets (bytes sent, bytes in all).
        pub fn start(
            url: &str,
            files: &[web_sys::File],
            mut on_progress: impl FnMut(f64, f64) + 'static,
            on_finished: impl FnOnce(Sent) + 'static,
        ) -> Result<Transfer, String> {
            let failed = |_| "Your browser couldn't start the upload. Reload the page and try again.".to_string();
            let form = FormData::new().map_err(failed)?;
            for file in files {
                form.append_with_blob_and_filename("file", file, &file.name()).map_err(failed)?;
            }
            let xhr = XmlHttpRequest::new().map_err(failed)?;
            xhr.open_with_async("POST", url, true).map_err(failed)?;
            xhr.set_request_header("Accept", "application/json").map_err(failed)?;

            let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
                if ev.length_computable() {
                    on_progress(ev.loaded(), ev.total());
                }
            });
            xhr.upload().map_err(failed)?.set_onprogress(Some(progress.as_ref().unchecked_ref()));

            let request = xhr.clone();
            let mut on_finished = Some(on_finished);
            let finished = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
                let Some(report) = on_finished.take() else { return };
                let status = request.status().unwrap_or(0);
                report(match ev.type_().as_str() {
                    "load" if status != 0 => {
                        Sent::Answered { status, body: request.response_text().ok().flatten().unwrap_or_default() }
                    }
                    "abort" => Sent::Cancelled,
                    _ => Sent::Unreachable,
                });
            });
            let handler = Some(finished.as_ref().unchecked_ref());
            xhr.set_onload(handler);
            xhr.set_onerror(handler);
            xhr.set_onabort(handler);
            xhr.set_ontimeout(handler);

            let transfer = Transfer { xhr, _progress: progress, _finished: finished };
            transfer.xhr.send_with_opt_form_data(Some(&form)).map_err(failed)?;
            Ok(transfer)
        }

        pub fn cancel(&self) {
            if self.xhr.ready_state() != XmlHttpRequest::DONE {
                let _ = self.xhr.abort();
            }
        }
    }

    impl Drop for Transfer {
        fn drop(&mut self) {
            self.xhr.set_onload(None);
            self.xhr.set_onerror(None);
            self.xhr.set_onabort(None);
            self.xhr.set_ontimeout(None);
            if let Ok(upload) = self.xhr.upload() {
                upload.set_onprogress(None);
            }
            if self.xhr.ready_state() != XmlHttpRequest::DONE {
                let _ = self.xhr.abort();
            }
        }
    }
}
