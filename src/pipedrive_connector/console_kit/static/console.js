// The consoles' only script: optional. Every page reads without it; it adds drag-and-drop on the
// board and confirmation prompts.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Board: drop a deal card on another stage → the card's own move form is submitted with that stage.
  var dragged = null;
  document.querySelectorAll(".card[draggable]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      event.dataTransfer.setData("text/plain", card.dataset.dealId || "");
    });
  });
  document.querySelectorAll(".stage[data-stage-id]").forEach(function (column) {
    column.addEventListener("dragover", function (event) { event.preventDefault(); column.classList.add("over"); });
    column.addEventListener("dragleave", function () { column.classList.remove("over"); });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      column.classList.remove("over");
      if (!dragged || dragged.closest(".stage") === column) { return; }
      var form = dragged.querySelector("form.move");
      form.querySelector("[name=stage_id]").value = column.dataset.stageId;
      form.submit();
    });
  });

  // Buttons marked data-confirm ask first (without the script they just submit).
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
