// The places page (system administrator): the listed places as dots on the map, a click sets the form's point.
(function () {
    'use strict';
    var el = document.getElementById('place-map');
    var lat = document.getElementById('place-lat');
    var lon = document.getElementById('place-lon');
    document.querySelectorAll('button[data-confirm]').forEach(function (b) {
        b.addEventListener('click', function (e) { if (!window.confirm(b.dataset.confirm)) e.preventDefault(); });
    });
    if (!el || !lat || !lon || !window.L || !window.CityLoopMap) return;
    var m = CityLoopMap.create(el, { outlineTooltips: false });
    var map = m.map, marker = null, bounds = [];

    document.querySelectorAll('#places tr[data-lat]').forEach(function (tr) {
        var p = m.latLng(parseFloat(tr.dataset.lat), parseFloat(tr.dataset.lon));
        bounds.push(p);
        L.circleMarker(p, { radius: 5, color: '#0b5cab', weight: 1, fillColor: '#4a90d9', fillOpacity: 0.8 }).bindTooltip(tr.dataset.place).addTo(map);
    });

    function show(zoom) {
        var la = parseFloat(lat.value), lo = parseFloat(lon.value);
        if (!isFinite(la) || !isFinite(lo)) return false;
        var p = m.latLng(la, lo);
        if (marker) marker.setLatLng(p); else marker = L.marker(p).addTo(map);
        if (zoom) map.setView(p, 16);
        return true;
    }

    map.on('click', function (e) {
        var p = m.toWgs84(e.latlng);
        lat.value = p[0].toFixed(6);
        lon.value = p[1].toFixed(6);
        show(false);
    });
    lat.addEventListener('change', function () { show(true); });
    lon.addEventListener('change', function () { show(true); });

    m.outlines().then(function (layer) {
        if (!show(true)) {
            if (bounds.length > 0) map.fitBounds(L.latLngBounds(bounds), { padding: [20, 20], maxZoom: 16 });
            else if (layer) map.fitBounds(layer.getBounds(), { padding: [6, 6] });
        }
        el.dataset.ready = 'true';
    });
})();
