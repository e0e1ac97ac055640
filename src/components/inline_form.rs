//! A card with one field and its button: starting a chat (a friend's ID) and creating a
//! room (its name). The text stays in the field when it is refused, with the reason.

use leptos::prelude::*;

/// One-field form. `submit` gets the text and returns the reason to show if refused; on
/// success the field is emptied.
#[component]
pub fn InlineForm(
    /// The card's heading.
    title: &'static str,
    /// A page-unique prefix for the ids of the heading, field and error.
    id: &'static str,
    /// The field's label (its accessible name).
    label: &'static str,
    /// The button's text.
    button: &'static str,
    /// The button is the card's main action (styled as such).
    #[prop(optional)]
    primary: bool,
    /// A hint inside the empty field.
    #[prop(optional)]
    placeholder: &'static str,
    /// Spell-check the text (off for ids).
    #[prop(optional)]
    no_spellcheck: bool,
    /// What the form does.
    submit: Callback<String, Result<(), String>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match submit.run(text.get_untracked()) {
            Ok(()) => {
                error.set(None);
                text.set(String::new());
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let title_id = format!("{id}-title");
    let field_id = format!("{id}-field");
    let error_id = format!("{id}-error");
    let (labelled_by, label_for, described_by) =
        (title_id.clone(), field_id.clone(), error_id.clone());
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            <form on:submit=on_submit novalidate class="inline-form">
                <label for=label_for>{label}</label>
                <div class="row">
                    <input
                        id=field_id
                        type="text"
                        spellcheck=(!no_spellcheck).to_string()
                        autocomplete="off"
                        placeholder=placeholder
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        aria-describedby=described_by
                        bind:value=text
                    />
                    <button type="submit" class:primary=primary>{button}</button>
                </div>
                <p id=error_id class="field-error" role="alert">{move || error.get()}</p>
            </form>
        </section>
    }
}
