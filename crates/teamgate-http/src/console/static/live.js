// teamgate console: follows the member's permissions live.
// The server pushes `permissions` and `removed` events; this script re-gates
// the sidebar, the action buttons and the page itself without a reload.
(function () {
  "use strict";
  var body = document.body;
  var org = body.dataset.org;
  var navData = document.getElementById("tg-nav");
  if (!org || !navData || !window.EventSource) return;
  var nav = JSON.parse(navData.textContent);
  var roleNames = { admin: "Admin", manager: "Manager", staff: "Staff", viewer: "Viewer", billing: "Billing" };

  function describe(permission) {
    var parts = permission.split(":");
    var entry = nav.entries.find(function (e) { return e.permission.split(":")[0] === parts[0]; });
    var feature = entry ? entry.label : parts[0].replace(/_/g, " ");
    return parts[1].replace(/_/g, " ") + " " + feature;
  }

  function link(entry) {
    var a = document.createElement("a");
    a.href = "/orgs/" + org + "/" + entry.slug;
    a.dataset.permission = entry.permission;
    a.textContent = entry.label;
    if (entry.slug === nav.current) a.className = "current";
    return a;
  }

  function rebuildSidebar(allowed) {
    var sidebar = document.querySelector("nav.sidebar");
    if (!sidebar) return;
    var home = sidebar.querySelector("a:not([data-permission])");
    sidebar.textContent = "";
    if (home) sidebar.appendChild(home);
    var visible = nav.entries.filter(function (e) { return allowed.has(e.permission); });
    visible.filter(function (e) { return !e.settings; }).forEach(function (e) { sidebar.appendChild(link(e)); });
    var settings = visible.filter(function (e) { return e.settings; });
    if (settings.length) {
      var h = document.createElement("h4");
      h.textContent = "Organisation Settings";
      sidebar.appendChild(h);
      settings.forEach(function (e) { sidebar.appendChild(link(e)); });
    }
  }

  function regateActions(allowed, role) {
    document.querySelectorAll("button[data-permission], input[data-permission], select[data-permission], a.button[data-permission]").forEach(function (el) {
      var p = el.dataset.permission;
      var ok = allowed.has(p);
      var reason = "Your role (" + (roleNames[role] || role) + ") cannot " + describe(p) + ".";
      if (el.tagName === "A") {
        el.classList.toggle("disabled", !ok);
        el.setAttribute("aria-disabled", String(!ok));
      } else {
        el.disabled = !ok;
      }
      if (ok) el.removeAttribute("title"); else el.title = reason;
      var holder = el.closest(".action");
      if (!holder) return;
      var span = holder.querySelector(".reason");
      if (!ok && !span) {
        span = document.createElement("span");
        span.className = "reason";
        span.dataset.permission = p;
        holder.appendChild(document.createTextNode(" "));
        holder.appendChild(span);
      }
      if (span) {
        span.textContent = ok ? "" : reason;
        span.hidden = ok;
      }
    });
  }

  function regatePage(allowed) {
    var needed = body.dataset.pagePermission;
    if (!needed || allowed.has(needed)) return;
    var content = document.querySelector("section.content");
    if (!content || content.dataset.revoked) return;
    content.dataset.revoked = "1";
    content.textContent = "";
    var notice = document.createElement("div");
    notice.className = "notice";
    notice.setAttribute("role", "alert");
    notice.dataset.code = "forbidden";
    notice.textContent = "Your role no longer allows you to view this page (needs " + needed + "). Choose another page from the menu.";
    content.appendChild(notice);
  }

  // The newest state shown; an older answer that arrives late is ignored.
  var shownVersion = -1;

  function apply(data) {
    if (typeof data.version === "number") {
      if (data.version < shownVersion) return;
      shownVersion = data.version;
    }
    var allowed = new Set(data.permissions);
    body.dataset.role = data.role;
    document.querySelectorAll("span.role").forEach(function (el) { el.textContent = roleNames[data.role] || data.role; });
    rebuildSidebar(allowed);
    regateActions(allowed, data.role);
    regatePage(allowed);
    body.dataset.permissionsVersion = String(data.version);
  }

  // A stream only reports changes made after it opened. One opened late (after
  // a dropped connection, or on a page restored from the back/forward cache)
  // asks once where the member stands now.
  function catchUp() {
    fetch("/api/v1/orgs/" + org + "/me/permissions", { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 404) window.location.href = "/removed";
        return r.ok ? r.json() : null;
      })
      .then(function (data) { if (data && data.role !== body.dataset.role) apply(data); })
      .catch(function () {});
  }

  var events = null;

  function follow() {
    events = new EventSource("/api/v1/orgs/" + org + "/events");
    events.addEventListener("open", catchUp);
    events.addEventListener("permissions", function (e) { apply(JSON.parse(e.data)); });
    events.addEventListener("removed", function () {
      events.close();
      window.location.href = "/removed";
    });
  }

  // Browsers keep left pages, connections and all, in the back/forward cache;
  // a few such streams would take every connection the browser allows to this
  // site, and the next page would never load. Close on leaving, reopen on return.
  window.addEventListener("pagehide", function () {
    if (events) events.close();
    events = null;
  });
  window.addEventListener("pageshow", function () { if (!events) follow(); });
  follow();
})();
