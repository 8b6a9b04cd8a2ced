// Typeset the math that pymdownx.arithmatex marks (\(...\) inline, \[...\] display) with
// the copy of KaTeX beside this file. Material for MkDocs announces each page on document$.
function typesetMath(root) {
  root.querySelectorAll(".arithmatex").forEach(function (el) {
    var tex = el.textContent.trim().replace(/^\\[\[(]/, "").replace(/\\[\])]$/, "");
    katex.render(tex, el, { displayMode: el.tagName === "DIV", throwOnError: false });
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(function () { typesetMath(document); });
} else {
  document.addEventListener("DOMContentLoaded", function () { typesetMath(document); });
}
