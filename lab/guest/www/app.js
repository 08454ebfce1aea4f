// Page asset for the web-page scenario; it does nothing on purpose.
window.mtLab = { page: "index", assets: ["/style.css", "/app.js", "/logo.png"] };
