//! "Your data" in Settings: back up (one file, encrypted with a passphrase), restore from
//! such a file, and delete everything. The file format, the encryption and the merge are
//! `peerchat_core::backup`'s; this reads and writes the file and storage.

use crate::session::Session;
use crate::store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::backup::{self, Backup};
use wasm_bindgen::JsCast;

/// Shortest passphrase accepted for a new backup: the file may be copied anywhere, and
/// only the passphrase (stretched with Argon2id) protects the identity in it.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Lets the page paint ("Encrypting…") before the slow key derivation runs.
async fn next_frame() {
    gloo_timers::future::TimeoutFuture::new(30).await;
}

/// Offers `text` as a file download named `name`.
fn download(name: &str, text: &str) -> Result<(), String> {
    let fail = |_| "The browser refused to save the file.".to_string();
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("No document.")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| "No link element.".to_string())?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has its own reference to the blob by now.
    web_sys::Url::revoke_object_url(&url).ok();
    Ok(())
}

/// A person's summary of a backup.
fn describe(b: &Backup) -> String {
    let local = super::chat_list::local(b.made_at);
    let who = b.summary.name.clone().unwrap_or_else(|| "(no name)".into());
    format!(
        "Backup of {who} ({}), made {}: {} contacts, {} rooms, {} messages.",
        b.summary.id,
        peerchat_core::calendar::full(&local),
        b.summary.contacts,
        b.summary.rooms,
        b.summary.messages
    )
}

/// The "Your data" section.
#[component]
pub fn DataSection() -> impl IntoView {
    view! {
        <section class="data" aria-labelledby="data-title">
            <h3 id="data-title">"Your data"</h3>
            <p class="hint">
                "Your ID, contacts, rooms and messages live only in this browser. Clearing site data or changing device loses them unless you keep a backup."
            </p>
            <BackUp />
            <Restore />
            <DeleteAll />
        </section>
    }
}

#[component]
fn BackUp() -> impl IntoView {
    let pass = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (p, a) = (pass.get_untracked(), again.get_untracked());
        if p.chars().count() < MIN_PASSPHRASE_CHARS {
            status.set(format!(
                "Choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters (a short sentence is easy to remember)."
            ));
            return;
        }
        if p != a {
            status.set("The two passphrases differ.".into());
            return;
        }
        busy.set(true);
        status.set("Encrypting…".into());
        spawn_local(async move {
            next_frame().await;
            let now = js_sys::Date::now() as u64;
            let sealed = backup::seal(&store::all_entries(), &p, crate::random::bytes::<40>(), now);
            let local = super::chat_list::local(now);
            let name = format!(
                "peerchat-backup-{}-{:02}-{:02}.json",
                local.year, local.month, local.day
            );
            status.set(match sealed.map_err(|e| e.to_string()).and_then(|text| download(&name, &text)) {
                Ok(()) => {
                    pass.set(String::new());
                    again.set(String::new());
                    format!("Backup saved as {name}. Keep it and its passphrase safe: without the passphrase it cannot be opened.")
                }
                Err(e) => e,
            });
            busy.set(false);
        });
    };
    view! {
        <form on:submit=submit novalidate class="backup">
            <h4>"Back up"</h4>
            <label for="backup-pass">"Passphrase for the backup"</label>
            <input id="backup-pass" type="password" autocomplete="new-password" bind:value=pass />
            <label for="backup-again">"Passphrase again"</label>
            <input id="backup-again" type="password" autocomplete="new-password" bind:value=again />
            <div class="actions">
                <button type="submit" prop:disabled=move || busy.get()>"Back up"</button>
            </div>
            <p class="hint" role="status">{move || status.get()}</p>
        </form>
    }
}

#[component]
fn Restore() -> impl IntoView {
    let session = expect_context::<Session>();
    let file = RwSignal::new_local(None::<web_sys::File>);
    let pass = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let opened = RwSignal::new(None::<Backup>);
    let busy = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        file.set(input.and_then(|i| i.files()).and_then(|f| f.get(0)));
        opened.set(None);
        status.set(String::new());
    };
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(f) = file.get_untracked() else {
            status.set("Choose a backup file first.".into());
            return;
        };
        if f.size() > backup::MAX_FILE_BYTES as f64 {
            status.set(backup::BackupError::TooLarge.to_string());
            return;
        }
        let p = pass.get_untracked();
        busy.set(true);
        status.set("Opening…".into());
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(f.text()).await;
            next_frame().await;
            let result = match text.ok().and_then(|t| t.as_string()) {
                Some(text) => backup::open(&text, &p),
                None => Err(backup::BackupError::NotABackup),
            };
            match result {
                Ok(b) => {
                    status.set(describe(&b));
                    opened.set(Some(b));
                }
                Err(e) => status.set(e.to_string()),
            }
            busy.set(false);
        });
    };
    let plan = Memo::new(move |_| {
        opened.with(|b| {
            b.as_ref()
                .map(|b| backup::plan_restore(&store::all_entries(), b))
        })
    });
    let apply = move |_| {
        let (Some(b), Some(plan)) = (opened.get_untracked(), plan.get_untracked()) else {
            return;
        };
        let _ = b;
        if let Err(e) = session.restore(plan) {
            status.set(e);
        }
    };
    view! {
        <form on:submit=open novalidate class="backup">
            <h4>"Restore"</h4>
            <label for="restore-file">"Backup file"</label>
            <input id="restore-file" type="file" accept=".json,application/json" on:change=on_file />
            <label for="restore-pass">"Backup passphrase"</label>
            <input id="restore-pass" type="password" autocomplete="current-password" bind:value=pass />
            <div class="actions">
                <button type="submit" prop:disabled=move || busy.get()>"Open backup"</button>
            </div>
            <p class="hint" role="status">{move || status.get()}</p>
            {move || plan.get().map(|plan| {
                let (what, button) = if plan.same_identity {
                    (
                        format!("It is this browser's identity: {} messages will be added to the ones here, none twice.", plan.added_messages),
                        "Restore and merge",
                    )
                } else {
                    (
                        "It holds another identity: restoring replaces everything here (your current ID, contacts and messages) with the backup.".to_string(),
                        "Replace everything with the backup",
                    )
                };
                view! {
                    <p class="warning">{what}</p>
                    <button type="button" class=if plan.same_identity { "primary" } else { "danger" } on:click=apply>{button}</button>
                }
            })}
        </form>
    }
}

#[component]
fn DeleteAll() -> impl IntoView {
    let session = expect_context::<Session>();
    let asking = RwSignal::new(false);
    view! {
        <div class="backup">
            <h4>"Delete all my data"</h4>
            <Show
                when=move || asking.get()
                fallback=move || view! {
                    <button type="button" class="danger" on:click=move |_| asking.set(true)>"Delete all my data…"</button>
                }
            >
                <div role="alertdialog" aria-labelledby="delete-all-question" class="confirm">
                    <p id="delete-all-question">
                        "Delete your ID, contacts, rooms and every message from this browser? Your friends will see you as a new person. This cannot be undone."
                    </p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=move |_| session.delete_all_data()>"Delete everything"</button>
                        <button type="button" on:click=move |_| asking.set(false)>"Keep my data"</button>
                    </div>
                </div>
            </Show>
        </div>
    }
}
