// CityLoop's maps (decision record 024): the platform's own layers — street outlines, grids, components, cases — drawn
// without any tile server; a base layer is configuration (data-base-url, data-base-datum on the map element). Stored
// coordinates are WGS-84; over a GCJ-02 base layer (the datum of most Chinese tile services) everything is shifted to
// GCJ-02 for display and clicks are shifted back, so the conversion lives here, once.
(function (global) {
    'use strict';

    // GCJ-02 from WGS-84: the published obfuscation on the Krasovsky 1940 ellipsoid; identity outside China.
    var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

    function outOfChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }

    function shiftLat(x, y) {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
        r += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
        return r;
    }

    function shiftLon(x, y) {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
        r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
        r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
        r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
        return r;
    }

    /** [lat, lon] in GCJ-02 of a WGS-84 point. */
    function wgs84ToGcj02(lat, lon) {
        if (outOfChina(lat, lon)) return [lat, lon];
        var dLat = shiftLat(lon - 105.0, lat - 35.0), dLon = shiftLon(lon - 105.0, lat - 35.0);
        var radLat = lat / 180.0 * PI, magic = Math.sin(radLat);
        magic = 1 - EE * magic * magic;
        var sqrtMagic = Math.sqrt(magic);
        dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
        dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
        return [lat + dLat, lon + dLon];
    }

    /** [lat, lon] in WGS-84 of a GCJ-02 point: the forward shift inverted by iteration (better than 1e-7°, ~1 cm). */
    function gcj02ToWgs84(lat, lon) {
        if (outOfChina(lat, lon)) return [lat, lon];
        var wLat = lat, wLon = lon;
        for (var i = 0; i < 20; i++) {
            var g = wgs84ToGcj02(wLat, wLon);
            var eLat = g[0] - lat, eLon = g[1] - lon;
            wLat -= eLat; wLon -= eLon;
            if (Math.abs(eLat) < 1e-10 && Math.abs(eLon) < 1e-10) break;
        }
        return [wLat, wLon];
    }

    function json(url) {
        return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
            .then(function (r) { return r.ok ? r.json() : null; });
    }

    /**
     * A map on an element. The element's data attributes: base-url (a tile URL template; none by default), base-datum
     * (wgs84 or gcj02), base-attribution, base-subdomains, max-zoom. Returns helpers that speak WGS-84.
     */
    function create(el, options) {
        options = options || {};
        var d = el.dataset;
        var base = d.baseUrl || null;
        var gcj = !!base && (d.baseDatum || '').toLowerCase().replace(/[^a-z0-9]/g, '') === 'gcj02';
        var maxZoom = parseInt(d.maxZoom, 10) || 19;
        var map = L.map(el, {
            attributionControl: !!base, zoomControl: options.zoomControl !== false, zoomSnap: 0.25, minZoom: 3, maxZoom: maxZoom,
            dragging: options.dragging !== false, scrollWheelZoom: options.scrollWheelZoom !== false
        }).setView([35, 105], 4);
        if (base) L.tileLayer(base, { attribution: d.baseAttribution || '', subdomains: d.baseSubdomains || 'abc', maxZoom: maxZoom }).addTo(map);

        function toDisplay(lat, lon) { return gcj ? wgs84ToGcj02(lat, lon) : [lat, lon]; }
        function latLng(lat, lon) { var p = toDisplay(lat, lon); return L.latLng(p[0], p[1]); }
        function toWgs84(ll) { return gcj ? gcj02ToWgs84(ll.lat, ll.lng) : [ll.lat, ll.lng]; }
        function geoJson(data, layerOptions) {
            layerOptions = layerOptions || {};
            layerOptions.coordsToLatLng = function (c) { return latLng(c[1], c[0]); };
            return L.geoJSON(data, layerOptions);
        }

        /** The platform's street outlines: the background when there is no base layer. */
        function outlines(url) {
            return json(url || '/portal/map/outlines').then(function (data) {
                if (!data || !data.features || data.features.length === 0) return null;
                return geoJson(data, {
                    style: { color: '#0b5cab', weight: 1.5, fillColor: '#dbe8f6', fillOpacity: base ? 0.1 : 0.35 },
                    interactive: options.outlineTooltips !== false,
                    onEachFeature: function (f, l) { if (options.outlineTooltips !== false && f.properties && f.properties.name) l.bindTooltip(f.properties.name, { sticky: true }); }
                }).addTo(map);
            }).catch(function () { return null; });
        }

        /** Unit grids, fetched for the visible area when zoomed in far enough to read them. */
        function grids(minZoom) {
            var layer = L.layerGroup(), loaded = null;
            function refresh() {
                if (!map.hasLayer(layer)) return;
                if (map.getZoom() < (minZoom || 14)) { layer.clearLayers(); loaded = null; return; }
                var b = map.getBounds(), sw = toWgs84(b.getSouthWest()), ne = toWgs84(b.getNorthEast());
                var key = [sw[1], sw[0], ne[1], ne[0]].map(function (v) { return v.toFixed(5); }).join(',');
                if (key === loaded) return;
                loaded = key;
                json('/api/v1/grids?limit=2000&bbox=' + key).then(function (data) {
                    if (!data || loaded !== key) return;
                    layer.clearLayers();
                    geoJson(data, {
                        style: { color: '#7a4fb5', weight: 1, dashArray: '3 3', fill: true, fillOpacity: 0.02, className: 'grid-cell' },
                        onEachFeature: function (f, l) { if (f.properties) l.bindTooltip((f.properties.name || '') + ' ' + (f.properties.code || ''), { sticky: true }); }
                    }).addTo(layer);
                });
            }
            map.on('moveend', refresh);
            layer.on('add', refresh);
            return layer;
        }

        /** City components (部件) with a position, as small circles named on hover. */
        function components(pageSize) {
            var layer = L.layerGroup(), done = false;
            layer.on('add', function () {
                if (done) return;
                done = true;
                json('/api/v1/components?pageSize=' + (pageSize || 500)).then(function (page) {
                    (page && page.items || []).forEach(function (c) {
                        if (c.lat == null || c.lon == null) return;
                        L.circleMarker(latLng(c.lat, c.lon), { radius: 4, color: '#5b6b00', weight: 1, fillColor: '#b8d200', fillOpacity: 0.8 })
                            .bindTooltip(c.name + ' ' + c.id).addTo(layer);
                    });
                });
            });
            return layer;
        }

        return { map: map, latLng: latLng, toWgs84: toWgs84, geoJson: geoJson, outlines: outlines, grids: grids, components: components, gcj02: gcj };
    }

    global.CityLoopMap = { create: create, wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84: gcj02ToWgs84, outOfChina: outOfChina };
})(window);
