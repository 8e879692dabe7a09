// A person's own dashboard (/inspector/dashboard, /dashboard/dispatch): the page is rendered with its figures; this
// script draws the per-day chart with ECharts from the same API (data-api) and refreshes score, figures and queue
// every refreshSeconds without a reload.
(function () {
    'use strict';
    var root = document.querySelector('[data-desk-api]');
    if (!root || !window.echarts) return;
    var api = root.dataset.deskApi, empty = root.dataset.empty || '—';
    var chartEl = document.getElementById('chart-per-day');
    var chart = chartEl ? echarts.init(chartEl, null, { renderer: 'canvas' }) : null;

    function fmt(v, unit) {
        if (v === null || v === undefined) return '—';
        return unit === 'percent' ? v.toFixed(2) + ' %' : String(v);
    }

    function set(id, value) {
        var el = document.getElementById(id);
        if (el) el.textContent = value;
    }

    function draw(d) {
        set('desk-score', d.score === null ? '—' : d.score.toFixed(2));
        set('desk-grade', d.grade || '—');
        d.figures.concat(d.platform).forEach(function (f, i) {
            var el = document.querySelector('[data-figure="' + (i < d.figures.length ? 'own-' : 'platform-') + f.indicator + '"]');
            if (el) el.textContent = fmt(f.value, f.unit) + (f.denominator !== null ? ' (' + f.numerator + ' / ' + f.denominator + ')' : '');
        });
        d.queue.forEach(function (q) { set('queue-' + q.key, String(q.count)); });
        if (!chart) { document.body.setAttribute('data-drawn', String(Date.now())); return; }
        // data-drawn is set once the chart has finished drawing (animation included): what a screenshot waits for.
        document.body.removeAttribute('data-drawn');
        chart.off('finished');
        chart.on('finished', function () { chart.off('finished'); document.body.setAttribute('data-drawn', String(Date.now())); });
        chart.setOption({
            tooltip: { trigger: 'axis' },
            grid: { left: 32, right: 12, top: 16, bottom: 24 },
            title: d.perDay.some(function (n) { return n > 0; }) ? { show: false }
                : { show: true, text: empty, left: 'center', top: 'middle', textStyle: { color: '#9aa5b1', fontSize: 14 } },
            xAxis: { type: 'category', data: d.days.map(function (s) { return s.slice(5); }) },
            yAxis: { type: 'value', minInterval: 1 },
            series: [{ name: d.perDayName, type: 'bar', data: d.perDay, itemStyle: { color: '#1f5f99' }, barMaxWidth: 14 }]
        }, true);
    }

    function refresh() {
        fetch(api, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
            .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
            .then(function (d) {
                draw(d);
                set('desk-status', '');
                setTimeout(refresh, (d.refreshSeconds || 30) * 1000);
            })
            .catch(function () {
                set('desk-status', root.dataset.failed || '');
                setTimeout(refresh, 30000);
            });
    }
    window.addEventListener('resize', function () { if (chart) chart.resize(); });
    refresh();
})();
