// The dispatcher's map desk: the queue's cases as markers coloured by their light over the platform's streets, with
// grids and components as layers; a marker opens its case beside the map (a plain link: the page is server-rendered).
(function () {
    'use strict';
    var el = document.getElementById('desk-map');
    if (!el || !window.L || !window.CityLoopMap) return;
    var cases = JSON.parse(el.dataset.cases || '[]');
    var m = CityLoopMap.create(el);
    var map = m.map;
    var caseLayer = L.layerGroup().addTo(map);
    var bounds = [];
    var current = null;

    cases.forEach(function (c) {
        var ll = m.latLng(c.lat, c.lon);
        var icon = L.divIcon({
            className: 'case-pin ' + c.light + (c.current ? ' current' : ''),
            html: '<span></span>', iconSize: c.current ? [22, 22] : [16, 16]
        });
        var marker = L.marker(ll, { icon: icon, title: c.number, keyboard: true, riseOnHover: true, zIndexOffset: c.current ? 1000 : 0 })
            .bindTooltip(c.number + ' ' + c.text, { direction: 'top' })
            .on('click', function () { window.location.href = c.url; })
            .addTo(caseLayer);
        var dom = marker.getElement();
        if (dom) { dom.dataset.case = c.number; dom.setAttribute('aria-label', c.number + ' ' + c.text); }
        bounds.push(ll);
        if (c.current) current = ll;
    });

    var grids = m.grids(14), components = m.components(500);
    m.outlines().then(function (streets) {
        var overlays = {};
        overlays[el.dataset.layerCases] = caseLayer;
        if (streets) overlays[el.dataset.layerStreets] = streets;
        overlays[el.dataset.layerGrids] = grids;
        overlays[el.dataset.layerComponents] = components;
        L.control.layers(null, overlays, { collapsed: false }).addTo(map);
        if (streets) streets.bringToBack();
        if (current) map.setView(current, 16);
        else if (bounds.length > 0) map.fitBounds(L.latLngBounds(bounds), { padding: [30, 30], maxZoom: 16 });
        else if (streets) map.fitBounds(streets.getBounds(), { padding: [8, 8] });
        el.dataset.ready = 'true';
    });
})();
