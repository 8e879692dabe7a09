// The agent desktop: the number typed in the look-up box is the caller's number of the order form too.
(function () {
  "use strict";
  var phone = document.getElementById("desk-phone");
  var hidden = document.getElementById("desk-form-phone");
  if (!phone || !hidden) return;
  function sync() { hidden.value = phone.value; }
  phone.addEventListener("input", sync);
  phone.addEventListener("change", sync);
  // An emergency is critical: the urgency follows the transfer choice.
  var emergency = document.getElementById("desk-emergency");
  var urgency = document.getElementById("Form_Urgency");
  if (emergency && urgency) emergency.addEventListener("change", function () { if (emergency.value) urgency.value = "Critical"; });
})();
