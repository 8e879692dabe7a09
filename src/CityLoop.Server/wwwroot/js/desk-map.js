// The agent desktop's place (decision record 028): an address typed and searched in the platform's gazetteer places
// the point on the map; a click on the map sets the point and fills the address from the areas it lies in. The
// point is kept in WGS-84 in the form's latitude and longitude fields, which the server checks as for every intake.
(function () {
    'use strict';
    var el = document.getElementById('desk-map');
    var address = document.getElementById('desk-address');
    var lat = document.getElementById('Form_Lat');
    var lon = document.getElementById('Form_Lon');
    var list = document.getElementById('desk-places');
    var note = document.getElementById('desk-place-note');
    var locate = document.getElementById('desk-locate');
    if (!el || !address || !lat || !lon || !window.L || !window.CityLoopMap) return;
    var m = CityLoopMap.create(el, { outlineTooltips: false });
    var map = m.map, marker = null;

    function json(url) {
        return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
            .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
    }
    // The hints (likely duplicates near the point) follow the form's input events.
    function changed(input) { input.dispatchEvent(new Event('input', { bubbles: true })); }

    function show(la, lo, zoom) {
        var p = m.latLng(la, lo);
        if (marker) marker.setLatLng(p); else marker = L.marker(p, { keyboard: false }).addTo(map);
        map.setView(p, zoom ? Math.max(map.getZoom(), 16) : map.getZoom());
        el.dataset.point = la.toFixed(6) + ',' + lo.toFixed(6);
    }

    function setPoint(la, lo, zoom) {
        lat.value = la.toFixed(6);
        lon.value = lo.toFixed(6);
        show(la, lo, zoom);
        changed(lat);
    }

    function say(text) { note.textContent = text; }

    function choose(c) {
        list.hidden = true;
        list.textContent = '';
        if (c.lat == null || c.lon == null) return;
        if (!address.value || address.dataset.fromMap === 'true') address.value = c.name;
        address.dataset.fromMap = '';
        setPoint(c.lat, c.lon, true);
        say(c.name);
    }

    function search() {
        var q = address.value.trim();
        if (!q) { address.focus(); return; }
        json('/api/v1/places/search?top=5&q=' + encodeURIComponent(q)).then(function (found) {
            found = (found || []).filter(function (c) { return c.lat != null && c.lon != null; });
            list.textContent = '';
            if (found.length === 0) { list.hidden = true; say(note.dataset.none); return; }
            // One clear match is taken at once; otherwise the agent picks from the list.
            if (found.length === 1 || found[0].score - found[1].score >= 0.25) { choose(found[0]); return; }
            found.forEach(function (c) {
                var li = document.createElement('li');
                var b = document.createElement('button');
                b.type = 'button';
                b.className = 'desk-place-choice';
                b.textContent = c.name;
                b.addEventListener('click', function () { choose(c); });
                li.appendChild(b);
                list.appendChild(li);
            });
            list.hidden = false;
            list.querySelector('button').focus();
        }).catch(function () { say(note.dataset.failed); });
    }

    locate.addEventListener('click', search);
    address.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') { e.preventDefault(); search(); }
    });
    address.addEventListener('input', function () { address.dataset.fromMap = ''; });

    map.on('click', function (e) {
        var p = m.toWgs84(e.latlng);
        setPoint(p[0], p[1], false);
        list.hidden = true;
        json('/api/v1/geocode?lat=' + p[0].toFixed(6) + '&lon=' + p[1].toFixed(6)).then(function (g) {
            if (!g || g.outsideGrid) { say(note.dataset.outside); return; }
            var text = (g.areas || []).slice().sort(function (a, b) { return a.code.length - b.code.length; })
                .map(function (a) { return a.name; }).join('');
            if (g.grid && g.grid.name) text += ' ' + g.grid.name;
            // The map fills the address unless the agent typed one (the caller's words win).
            if (!address.value || address.dataset.fromMap === 'true') {
                address.value = text;
                address.dataset.fromMap = 'true';
                changed(address);
            }
            say(text);
        }).catch(function () { say(note.dataset.failed); });
    });

    function typed() {
        var la = parseFloat(lat.value), lo = parseFloat(lon.value);
        if (isFinite(la) && isFinite(lo)) show(la, lo, true);
    }
    lat.addEventListener('change', typed);
    lon.addEventListener('change', typed);

    m.outlines().then(function (layer) {
        if (lat.value && lon.value) typed();
        else if (layer) map.fitBounds(layer.getBounds(), { padding: [6, 6] });
        el.dataset.ready = 'true';
    });
})();
