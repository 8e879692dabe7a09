// The wall screen (/screen) and the desks' dashboards (/dashboard): one script, fed by /api/v1/screen or
// /api/v1/dashboard. It draws with ECharts (charts) and Leaflet (open cases over the grids, no tile server) and
// fetches fresh figures every refreshSeconds without reloading the page.
(function () {
    'use strict';
    var body = document.body;
    var root = document.querySelector('[data-api]');
    if (!root || !window.echarts) return;
    var api = root.dataset.api, gridsUrl = root.dataset.grids, empty = root.dataset.empty || '—';
    var dark = root.dataset.kind === 'screen';
    var text = dark ? '#d8e6ff' : '#1f2933', axis = dark ? '#5b7399' : '#9aa5b1';
    var charts = {};
    var map = null, gridLayer = null, gridCounts = {};

    function chart(id) {
        var el = document.getElementById(id);
        if (!el) return null;
        if (!charts[id]) charts[id] = echarts.init(el, null, { renderer: 'canvas' });
        return charts[id];
    }

    // Once every chart has finished drawing (ECharts' animations included), the body carries data-drawn = the figures'
    // time: what a screenshot or a wall's watchdog waits for, so no picture shows a line drawn half-way. A chart with
    // nothing to animate finishes inside setOption, so each draw registers before it sets its option (drawing), and the
    // refresh holds one count of its own until every draw has been asked (drawn).
    var pending = 0, drawingAt = null;
    function finishedOne() {
        if (--pending === 0 && drawingAt) body.setAttribute('data-drawn', drawingAt);
    }
    function drawing(c) {
        pending++;
        c.off('finished');
        c.on('finished', function () { c.off('finished'); finishedOne(); });
    }
    function beginDrawing(at) { body.removeAttribute('data-drawn'); pending = 1; drawingAt = at; }

    function set(id, value) {
        var el = document.getElementById(id);
        if (el) el.textContent = value;
    }

    function percent(v) { return v === null || v === undefined ? '—' : v.toFixed(2) + ' %'; }

    function drawMonth(figures) {
        var list = document.getElementById('month-figures');
        if (!list) return;
        list.textContent = '';
        figures.forEach(function (f) {
            var li = document.createElement('li');
            var name = document.createElement('span');
            name.className = 'figure-name';
            name.textContent = f.name;
            name.title = f.how;
            var value = document.createElement('span');
            value.className = 'figure-value';
            value.textContent = f.unit === 'percent' ? percent(f.value) : String(f.numerator);
            var how = document.createElement('span');
            how.className = 'figure-how';
            how.textContent = f.unit === 'percent' && f.denominator !== null ? f.numerator + ' / ' + f.denominator : '';
            li.appendChild(name); li.appendChild(value); li.appendChild(how);
            list.appendChild(li);
        });
    }

    function drawSources(rows) {
        var c = chart('chart-sources');
        if (!c) return;
        drawing(c);
        c.setOption({
            textStyle: { color: text },
            tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
            legend: { bottom: 0, textStyle: { color: text } },
            title: rows.length ? { show: false } : { show: true, text: empty, left: 'center', top: 'middle', textStyle: { color: axis, fontSize: 16 } },
            series: [{ type: 'pie', radius: ['38%', '68%'], center: ['50%', '45%'], label: { color: text, formatter: '{b}\n{c}' },
                data: rows.map(function (r) { return { name: r.label, value: r.count }; }) }]
        }, true);
    }

    function drawTrend(t) {
        var c = chart('chart-trend');
        if (!c) return;
        drawing(c);
        c.setOption({
            textStyle: { color: text },
            tooltip: { trigger: 'axis' },
            legend: { top: 0, textStyle: { color: text } },
            grid: { left: 40, right: 16, top: 30, bottom: 28 },
            xAxis: { type: 'category', data: t.days.map(function (d) { return d.slice(5); }), axisLine: { lineStyle: { color: axis } } },
            yAxis: { type: 'value', minInterval: 1, axisLine: { lineStyle: { color: axis } }, splitLine: { lineStyle: { color: dark ? '#1d2b45' : '#e4e7eb' } } },
            series: [
                { name: t.receivedName, type: 'line', data: t.received, areaStyle: { opacity: 0.15 } },
                { name: t.closedName, type: 'line', data: t.closed }
            ]
        }, true);
    }

    function drawRanking(rows) {
        var c = chart('chart-ranking');
        if (!c) return;
        var sorted = rows.slice().reverse();
        drawing(c);
        c.setOption({
            textStyle: { color: text },
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
                formatter: function (p) { var r = sorted[p[0].dataIndex]; return r.name + ': ' + percent(r.value) + ' (' + r.numerator + ' / ' + r.denominator + ')'; } },
            title: rows.length ? { show: false } : { show: true, text: empty, left: 'center', top: 'middle', textStyle: { color: axis, fontSize: 16 } },
            grid: { left: 8, right: 88, top: 8, bottom: 8, containLabel: true },
            xAxis: { type: 'value', max: 100, show: rows.length > 0, axisLabel: { formatter: '{value}%' }, splitLine: { show: false }, axisLine: { lineStyle: { color: axis } } },
            yAxis: { type: 'category', show: rows.length > 0, data: sorted.map(function (r) { return r.name; }), axisLine: { lineStyle: { color: axis } } },
            series: [{ type: 'bar', data: sorted.map(function (r) { return r.value; }), barMaxWidth: 18,
                label: { show: true, position: 'right', color: text, formatter: function (p) { return percent(p.value); } } }]
        }, true);
    }

    function drawLatest(rows) {
        var tbody = document.getElementById('latest-cases');
        if (!tbody) return;
        tbody.textContent = '';
        rows.forEach(function (r) {
            var tr = document.createElement('tr');
            tr.className = 'light-' + r.light;
            [r.localTime, r.category, r.place, r.state].forEach(function (v, i) {
                var td = document.createElement('td');
                if (i === 1 && root.dataset.links === 'true') {
                    var a = document.createElement('a');
                    a.href = '/Cases/' + r.id;
                    a.textContent = v;
                    td.appendChild(a);
                } else td.textContent = v;
                tr.appendChild(td);
            });
            tbody.appendChild(tr);
        });
    }

    function colour(n) {
        if (!n) return dark ? '#16233b' : '#eef2f7';
        if (n >= 10) return '#d64545';
        if (n >= 5) return '#f0883e';
        if (n >= 2) return '#f5c542';
        return '#5cb85c';
    }

    function styleGrid(feature) {
        var code = feature.properties && (feature.properties.code || feature.properties.Code);
        var n = gridCounts[code] || 0;
        return { color: dark ? '#2e4a75' : '#9aa5b1', weight: 0.6, fillColor: colour(n), fillOpacity: n ? 0.75 : 0.35 };
    }

    function drawMap(grids) {
        var el = document.getElementById('screen-map');
        if (!el || !window.L) return;
        gridCounts = {};
        grids.forEach(function (g) { gridCounts[g.key] = g.count; });
        if (!map) {
            map = L.map(el, { attributionControl: false, zoomControl: false, zoomSnap: 0.25 }).setView([24.7, 108.06], 11);
            fetch(gridsUrl, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (geo) {
                if (!geo) return;
                gridLayer = L.geoJSON(geo, {
                    style: styleGrid,
                    onEachFeature: function (f, layer) {
                        layer.bindTooltip(function () {
                            var code = f.properties.code || f.properties.Code;
                            return (f.properties.name || code) + ': ' + (gridCounts[code] || 0);
                        });
                    }
                }).addTo(map);
                var b = gridLayer.getBounds();
                if (b.isValid()) map.fitBounds(b, { padding: [8, 8] });
            });
        } else if (gridLayer) gridLayer.setStyle(styleGrid);
    }

    function status(message) { set('screen-status', message || ''); }

    function refresh() {
        fetch(api, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (r) {
            if (r.status === 401) { window.location.href = '/Account/Login?ReturnUrl=' + encodeURIComponent(window.location.pathname); return null; }
            if (!r.ok) throw new Error(String(r.status));
            return r.json();
        }).then(function (s) {
            if (!s) return;
            status('');
            set('screen-time', s.localTime);
            set('kpi-today', s.receivedToday);
            set('kpi-open', s.open);
            set('kpi-red', s.red);
            set('kpi-overdue', s.overdue);
            beginDrawing(s.at);
            drawMonth(s.month);
            drawSources(s.todayBySource);
            drawTrend(s.trend);
            drawRanking(s.departments);
            drawLatest(s.latest);
            drawMap(s.grids);
            body.setAttribute('data-loaded', s.at);
            finishedOne();
            schedule(s.refreshSeconds);
        }).catch(function () {
            status(root.dataset.failed || '');
            schedule(30);
        });
    }

    var timer = null;
    function schedule(seconds) {
        if (timer) clearTimeout(timer);
        timer = setTimeout(refresh, Math.max(5, seconds || 30) * 1000);
    }

    window.addEventListener('resize', function () {
        Object.keys(charts).forEach(function (k) { charts[k].resize(); });
        if (map) map.invalidateSize();
    });
    refresh();
})();
