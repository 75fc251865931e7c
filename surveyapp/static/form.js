/* Enhances a server-rendered section: show_if live, and the progress bar. The page works
   without it; the server checks every rule again. */
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) { return; }
  var earlier = JSON.parse(form.getAttribute("data-earlier") || "{}");
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.q"));

  function answerOf(box) {
    var type = box.getAttribute("data-type");
    var inputs = box.querySelectorAll("input, textarea");
    if (type === "multiple") {
      var picked = [];
      inputs.forEach(function (i) { if (i.checked) { picked.push(i.value); } });
      return picked.length ? picked : null;
    }
    if (box.querySelector("input[type=radio]")) {
      var aspects = box.querySelectorAll(".opts");
      if (type === "ballot" && aspects.length > 1) {
        var any = box.querySelector("input:checked");
        return any ? {} : null;
      }
      var checked = box.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    var text = inputs.length ? inputs[0].value.trim() : "";
    if (!text) { return null; }
    if (type === "number") { var n = Number(text); return isNaN(n) ? null : n; }
    return text;
  }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  function holds(node, answers) {
    var op = node[0];
    if (op === "or") { return node[1].some(function (n) { return holds(n, answers); }); }
    if (op === "and") { return node[1].every(function (n) { return holds(n, answers); }); }
    if (op === "not") { return !holds(node[1], answers); }
    var answer = answers[node[1]];
    if (answer === undefined || answer === null) { return false; }
    if (op === "contains") { return Array.isArray(answer) && answer.indexOf(node[2]) >= 0; }
    if (op === "in") { return (node[2].indexOf(answer) >= 0) !== node[3]; }
    var cmp = node[2], value = node[3];
    if (cmp === "==") { return answer === value; }
    if (cmp === "!=") { return answer !== value; }
    if (!isNumber(answer) || !isNumber(value)) { return false; }
    return { "<": answer < value, "<=": answer <= value, ">": answer > value,
             ">=": answer >= value }[cmp];
  }

  function update() {
    // As on the server: a rule sees only the answers of items shown before it.
    var answers = Object.assign({}, earlier), seen = [], answered = 0, shown = 0;
    items.forEach(function (box) {
      var rule = box.getAttribute("data-show-if");
      var visible = !rule || holds(JSON.parse(rule), answers);
      box.hidden = !visible;
      if (!visible) { return; }
      var id = box.getAttribute("data-item"), answer = answerOf(box);
      seen.push(id);
      shown += 1;
      if (answer !== null) { answers[id] = answer; answered += 1; }
    });
    form.querySelector("input[name=_seen]").value = seen.join(",");
    var bar = document.querySelector(".progress progress");
    if (bar && shown) {
      var page = Number(bar.getAttribute("data-page"));
      bar.value = page + answered / shown;
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}());
