// The supervisors' patrol tracks page: each shift's positions as a line with its start and end, the missed reports
// (cases others reported in the inspector's grids while on duty) as red dots linking to the case; grids when zoomed in.
(function () {
    'use strict';
    var el = document.getElementById('tracks-map');
    if (!el || !window.L || !window.CityLoopMap) return;
    var shifts = JSON.parse(el.dataset.shifts || '[]');
    var cases = JSON.parse(el.dataset.cases || '[]');
    var m = CityLoopMap.create(el, { outlineTooltips: false });
    var map = m.map, bounds = [];
    var grids = m.grids(14).addTo(map);

    shifts.forEach(function (s) {
        var line = s.points.map(function (p) { return m.latLng(p[0], p[1]); });
        if (line.length === 0) return;
        bounds = bounds.concat(line);
        L.polyline(line, { color: '#0b5cab', weight: 3, opacity: 0.85, className: 'track-line' }).addTo(map);
        L.circleMarker(line[0], { radius: 6, color: '#0b5cab', fillColor: '#fff', fillOpacity: 1, weight: 2 })
            .bindTooltip(el.dataset.start + ' ' + s.started).addTo(map);
        if (line.length > 1)
            L.circleMarker(line[line.length - 1], { radius: 6, color: '#0b5cab', fillColor: '#0b5cab', fillOpacity: 1, weight: 2 })
                .bindTooltip(el.dataset.end + ' ' + (s.ended || '')).addTo(map);
    });
    cases.forEach(function (c) {
        var p = m.latLng(c.lat, c.lon);
        bounds.push(p);
        L.circleMarker(p, { radius: 7, color: '#8f1d1d', weight: 2, fillColor: '#f04438', fillOpacity: 0.9, className: 'missed-case' })
            .bindTooltip(c.number + (c.title ? ' ' + c.title : ''))
            .on('click', function () { window.location.href = '/Cases/' + c.id; })
            .addTo(map);
    });
    m.outlines().then(function (streets) {
        if (streets) streets.bringToBack();
        if (bounds.length > 0) map.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 17 });
        else if (streets) map.fitBounds(streets.getBounds(), { padding: [6, 6] });
        el.dataset.ready = 'true';
    });
    void grids;
})();
