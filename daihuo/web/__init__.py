"""daihuo's web layer: the JSON API (analysts) now; the editors' console and the public site
mount on the same app later."""
