// Referrals: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#id" data-copy-status="#status-id">.
  // Uses the Clipboard API, falling back to selecting the text and execCommand.
  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    return new Promise(function (resolve, reject) {
      input.focus();
      input.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (e) {
        reject(e);
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    var status = document.querySelector(button.getAttribute("data-copy-status"));
    if (!input) return;
    copyText(input).then(function () {
      if (status) status.textContent = "Copied to your clipboard.";
      button.setAttribute("data-copied", "true");
    }, function () {
      input.select();
      if (status) status.textContent = "Press Ctrl+C (or Cmd+C) to copy the selected link.";
    });
  });

  // Confirmation before consequential actions: <form data-confirm="Pay this batch?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-boxes">.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Bulk decisions on the review queue: the buttons ([data-bulk-label]) stay disabled
  // until a payout is ticked, and then say how many and how much: "Approve 12 · $1,200.00".
  // Without this script they are always enabled and the server says what it did.
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  function updateBulk() {
    var buttons = document.querySelectorAll("[data-bulk-label]");
    if (!buttons.length) return;
    var count = 0, cents = 0;
    document.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (box) {
      if (!box.checked) return;
      count++;
      cents += parseInt(box.getAttribute("data-amount-cents") || "0", 10);
    });
    buttons.forEach(function (button) {
      var label = button.getAttribute("data-bulk-label");
      button.disabled = count === 0;
      button.textContent = count === 0 ? label + " selected" : label + " " + count + " · " + money.format(cents / 100);
    });
    var summary = document.getElementById("selection-summary");
    if (summary) {
      summary.textContent = count === 0 ? "Select payouts with the boxes, or decide them one by one."
        : count + (count === 1 ? " payout" : " payouts") + " selected, " + money.format(cents / 100) + " in all.";
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches('input[type="checkbox"][name="ids"], [data-select-all]')) updateBulk();
  });
  updateBulk();

  // Canned rejection reasons: picking one copies it into the reason field of the same
  // form, to send as it is or edit.
  document.addEventListener("change", function (event) {
    var preset = event.target.closest("[data-reason-preset]");
    if (!preset || !preset.value) return;
    var field = preset.form && preset.form.querySelector('textarea[name="reason"]');
    if (!field) return;
    field.value = preset.value;
    field.focus();
  });

  // Share buttons: <button hidden data-share-url="..." data-share-title="..."
  // data-share-text="...">. They appear only where the browser can share (the Web Share
  // API, mostly phones). The text is the share kit's message as the person edited it.
  if (navigator.share) {
    document.querySelectorAll("[data-share-url]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share-url]");
    if (!button || !navigator.share) return;
    var kit = button.closest("[data-share-kit]");
    var message = kit && kit.querySelector("[data-share-message]");
    navigator.share({
      title: button.getAttribute("data-share-title") || document.title,
      text: message ? message.value : button.getAttribute("data-share-text") || "",
      url: button.getAttribute("data-share-url")
    }).catch(function () { /* the person closed the share sheet */ });
  });

  // Share links follow the edited message: each <a data-share-template="..."> holds its
  // address with the message left as %7Bmessage%7D; the server's links carry the default.
  document.addEventListener("input", function (event) {
    var message = event.target.closest("[data-share-message]");
    if (!message) return;
    var kit = message.closest("[data-share-kit]");
    kit.querySelectorAll("[data-share-template]").forEach(function (link) {
      link.href = link.getAttribute("data-share-template").split("%7Bmessage%7D").join(encodeURIComponent(message.value));
    });
  });
})();
