//! `<img>` for a product picture: every stored width in `srcset`, the size it is
//! shown at in `sizes`, width and height so nothing moves while it loads, and
//! lazy loading unless it is near the top of the page.

use leptos::prelude::*;

use crate::shared::Picture;

/// A picture shown `width` CSS pixels wide at most (`sizes` says how wide it is
/// on each screen). `eager` for pictures in the first screenful.
#[component]
pub fn Pic(
    picture: Picture,
    /// The widest it is shown (CSS pixels): picks `src` and the width/height attributes.
    width: u32,
    /// The `sizes` attribute (e.g. "(min-width: 60rem) 25vw, 50vw").
    #[prop(into)]
    sizes: String,
    #[prop(optional)] eager: bool,
    #[prop(optional, into)] class: Option<String>,
    /// An empty alt: the picture repeats text next to it (a link's name, a table row).
    #[prop(optional)]
    decorative: bool,
) -> impl IntoView {
    let height = picture.height_for(width);
    let src = picture.url(width * 2);
    let srcset = picture.srcset();
    let alt = if decorative {
        String::new()
    } else {
        picture.alt.clone()
    };
    view! {
        <img
            src=src
            srcset=(!srcset.is_empty()).then_some(srcset)
            sizes=sizes
            width=width
            height=height
            alt=alt
            loading=if eager { "eager" } else { "lazy" }
            decoding="async"
            fetchpriority=eager.then_some("high")
            class=class.unwrap_or_else(|| "pic".to_string())
        />
    }
}

/// A small square thumbnail (cart lines, orders, admin lists, suggestions).
#[component]
pub fn Thumb(picture: Picture, #[prop(optional)] size: Option<u32>) -> impl IntoView {
    let size = size.unwrap_or(64);
    view! {
        <Pic picture=picture width=size sizes=format!("{size}px") class="thumb" decorative=true />
    }
}
