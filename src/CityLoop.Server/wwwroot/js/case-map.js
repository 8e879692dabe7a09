// The case page's small map: the case's point over the platform's streets (and the configured base layer, if any).
(function () {
    'use strict';
    var el = document.getElementById('case-map');
    if (!el || !window.L || !window.CityLoopMap) return;
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    var m = CityLoopMap.create(el, { scrollWheelZoom: false, outlineTooltips: false });
    var point = m.latLng(lat, lon);
    L.circleMarker(point, { radius: 8, color: '#b42318', weight: 2, fillColor: '#f04438', fillOpacity: 0.9 }).addTo(m.map);
    m.map.setView(point, 16);
    m.outlines().then(function (streets) { if (streets) streets.bringToBack(); el.dataset.ready = 'true'; });
})();
