// The inspector's phone pages: on/off duty with the patrol track (positions posted while a page is open and the
// inspector is on duty), distances to tasks, the patrol report with GPS and camera photos, and an offline queue —
// a report that cannot be sent is kept in IndexedDB and sent when the connection returns, with the key it was given
// when typed (Idempotency-Key), so that a resend never files a second case.
(function () {
  'use strict';
  var body = document.body;
  if (!body || body.id !== 'patrol') return;
  var t = body.dataset;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function show(el, text) {
    if (!el) return;
    el.textContent = text || '';
    el.hidden = !text;
  }

  // ---- connection status -------------------------------------------------------------------------------------------
  var netStatus = document.getElementById('net-status');
  function netChanged() { show(netStatus, navigator.onLine ? '' : t.textOffline); }
  window.addEventListener('online', function () { netChanged(); flushQueue(); flushPositions(); });
  window.addEventListener('offline', netChanged);
  netChanged();

  // ---- position and distances --------------------------------------------------------------------------------------
  var here = null;
  var listeners = [];
  function onPosition(f) { listeners.push(f); if (here) f(here); }

  function formatDistance(m) {
    if (m >= 1000) return t.textKm.replace('{d}', (m / 1000).toFixed(1));
    return t.textM.replace('{d}', String(Math.round(m)));
  }

  function metres(lat1, lon1, lat2, lon2) {
    var R = 6371000, rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  onPosition(function (p) {
    document.querySelectorAll('[data-lat]').forEach(function (el) {
      var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
      if (isNaN(lat) || isNaN(lon)) return;
      var target = el.classList.contains('m-dist') ? el : el.querySelector('.m-dist');
      if (target) target.textContent = formatDistance(metres(p.lat, p.lon, lat, lon));
    });
  });

  var gpsState = document.getElementById('gps-state');
  var watching = false;
  function watch() {
    if (watching || !navigator.geolocation) return;
    watching = true;
    navigator.geolocation.watchPosition(function (pos) {
      here = { lat: pos.coords.latitude, lon: pos.coords.longitude, acc: pos.coords.accuracy, at: new Date(pos.timestamp || Date.now()) };
      listeners.forEach(function (f) { f(here); });
    }, function () {
      show(gpsState, t.textNoGps);
    }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 30000 });
  }
  watch();

  // ---- duty and the patrol track -----------------------------------------------------------------------------------
  var onDuty = false;
  var lastPost = 0;
  var positionMs = Math.max(5, parseInt(t.positionSeconds, 10) || 60) * 1000;
  var POSITIONS = 'cityloop-patrol-positions';

  function pending() {
    try { return JSON.parse(localStorage.getItem(POSITIONS) || '[]'); } catch (e) { return []; }
  }
  function keepPending(list) {
    try { localStorage.setItem(POSITIONS, JSON.stringify(list.slice(-500))); } catch (e) { /* storage full: the track has a gap */ }
  }

  function postPosition(p) {
    return fetch(t.positionUrl, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(p)
    });
  }

  // Positions taken while the connection was down are posted with their own time when it returns.
  function flushPositions() {
    if (!onDuty) return;
    var list = pending();
    if (list.length === 0) return;
    keepPending([]);
    list.reduce(function (chain, p) {
      return chain.then(function () {
        return postPosition(p).then(function (r) { if (r.status >= 500) throw new Error('server'); })
          .catch(function () { var rest = pending(); rest.push(p); keepPending(rest); });
      });
    }, Promise.resolve());
  }

  onPosition(function (p) {
    if (!onDuty || Date.now() - lastPost < positionMs) return;
    lastPost = Date.now();
    var item = { lat: p.lat, lon: p.lon, accuracy: p.acc, at: p.at.toISOString() };
    postPosition(item).then(function (r) {
      if (r.status === 409) setDuty(false, true);
    }).catch(function () {
      var list = pending(); list.push(item); keepPending(list);
    });
  });

  var dutyBox = document.getElementById('duty');
  var dutyButton = document.getElementById('duty-toggle');
  var dutyState = document.getElementById('duty-state');

  function setDuty(on, fromServer) {
    onDuty = on;
    if (dutyBox) dutyBox.dataset.on = on ? 'true' : 'false';
    if (dutyState) dutyState.textContent = on ? t.textOn : t.textOff;
    if (dutyButton) {
      dutyButton.textContent = on ? t.textGoOff : t.textGoOn;
      dutyButton.className = 'm-btn ' + (on ? 'secondary' : 'primary');
    }
    if (on && !fromServer) lastPost = 0;
    if (on && here) listeners.forEach(function (f) { f(here); });
    if (on) flushPositions();
  }

  fetch(t.dutyUrl, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (d) { if (d) setDuty(!!d.onDuty, true); }).catch(function () {
      if (dutyBox) setDuty(dutyBox.dataset.on === 'true', true);
    });

  if (dutyButton) dutyButton.addEventListener('click', function () {
    dutyButton.disabled = true;
    fetch(t.dutyUrl, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ onDuty: !onDuty })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) setDuty(!!d.onDuty, false); })
      .finally(function () { dutyButton.disabled = false; });
  });

  // ---- the offline queue of reports (IndexedDB) --------------------------------------------------------------------
  var queueStatus = document.getElementById('queue-status');
  var lastNews = '';
  var dbPromise = null;
  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error('no IndexedDB')); return; }
      var req = indexedDB.open('cityloop-inspector', 1);
      req.onupgradeneeded = function () { req.result.createObjectStore('reports', { keyPath: 'key' }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbPromise;
  }
  function store(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction('reports', mode);
        var result = work(tx.objectStore('reports'));
        tx.oncomplete = function () { resolve(result && 'result' in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() { return store('readonly', function (s) { return s.getAll(); }).then(function (r) { return r || []; }); }
  function enqueue(report) { return store('readwrite', function (s) { s.put(report); }); }
  function dequeue(key) { return store('readwrite', function (s) { s.delete(key); }); }

  function showQueue() {
    return queued().then(function (list) {
      // An empty queue leaves the last news (a report sent from the queue, or refused) on the screen.
      show(queueStatus, list.length ? t.textQueued.replace('{n}', list.length) : lastNews);
      if (queueStatus) queueStatus.dataset.count = String(list.length);
    }).catch(function () { });
  }

  // One send of one report; resolves to {ok, number} | {refused, message} | {retry} | {signIn}.
  function send(report) {
    var fd = new FormData();
    Object.keys(report.fields).forEach(function (k) { if (report.fields[k]) fd.append(k, report.fields[k]); });
    report.photos.forEach(function (p) { fd.append('photos', p.blob, p.name); });
    return fetch(t.reportUrl, {
      method: 'POST', credentials: 'same-origin', body: fd,
      headers: { 'Idempotency-Key': report.key, 'Accept': 'application/json' }
    }).then(function (r) {
      if (r.ok) return r.json().then(function (j) { return { ok: true, number: j.number }; });
      if (r.status === 401) return { signIn: true };
      if (r.status === 400 || r.status === 403 || r.status === 409 || r.status === 422)
        return r.json().then(function (j) { return { refused: true, message: j.detail || j.title }; }, function () { return { refused: true, message: String(r.status) }; });
      return { retry: true };
    }, function () { return { retry: true }; });
  }

  var flushing = false;
  function flushQueue() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return queued().then(function (list) {
      return list.reduce(function (chain, report) {
        return chain.then(function (stop) {
          if (stop) return true;
          return send(report).then(function (res) {
            if (res.ok) { show(queueStatus, t.textSent.replace('{number}', res.number)); return dequeue(report.key).then(function () { announce(res.number); return false; }); }
            if (res.refused) { announce(null, res.message); return dequeue(report.key).then(function () { return false; }); }
            if (res.signIn) { announce(null, null, true); return true; }
            return true;
          });
        });
      }, Promise.resolve(false));
    }).catch(function () { }).then(function () { flushing = false; return showQueue(); });
  }

  function announce(number, refusal, signIn) {
    lastNews = number ? t.textSent.replace('{number}', number) : refusal ? t.textRefused.replace('{message}', refusal) : signIn ? t.textSignin : '';
    var err = document.getElementById('report-error');
    if (err && (refusal || signIn)) show(err, lastNews);
  }

  showQueue().then(flushQueue);
  setInterval(function () { if (navigator.onLine) flushQueue(); }, 30000);

  // ---- photos ------------------------------------------------------------------------------------------------------
  function previewPhotos(input, previews, error, max, tooMany) {
    if (!input) return;
    input.addEventListener('change', function () {
      previews.textContent = '';
      if (input.files.length > max) { show(error, tooMany); return; }
      show(error, '');
      Array.prototype.forEach.call(input.files, function (file) {
        var reader = new FileReader();
        reader.onload = function () {
          var img = document.createElement('img');
          img.src = reader.result;
          img.alt = file.name;
          previews.appendChild(img);
        };
        reader.readAsDataURL(file);
      });
    });
  }

  // ---- the patrol report -------------------------------------------------------------------------------------------
  var form = document.getElementById('patrol-form');
  if (form) {
    var f = form.dataset;
    var lat = document.getElementById('Latitude'), lon = document.getElementById('Longitude'), acc = document.getElementById('Accuracy');
    var gpsText = document.getElementById('gps-text');
    var locate = document.getElementById('locate');
    var photos = document.getElementById('Photos');
    var photoError = document.getElementById('photo-error');
    var reportError = document.getElementById('report-error');
    var reportDone = document.getElementById('report-done');
    var submit = document.getElementById('submit-report');
    var key = document.getElementById('Key');
    previewPhotos(photos, document.getElementById('previews'), photoError, parseInt(f.maxPhotos, 10), f.tooMany);

    var setPoint = function (p) {
      lat.value = p.lat.toFixed(6);
      lon.value = p.lon.toFixed(6);
      acc.value = p.acc ? String(Math.round(p.acc)) : '';
      gpsText.textContent = locate.dataset.located.replace('{lat}', lat.value).replace('{lon}', lon.value).replace('{acc}', acc.value || '?');
      gpsText.removeAttribute('aria-invalid');
    };
    var locateNow = function () {
      if (!navigator.geolocation) { gpsText.textContent = locate.dataset.denied; return; }
      gpsText.textContent = locate.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint({ lat: pos.coords.latitude, lon: pos.coords.longitude, acc: pos.coords.accuracy });
      }, function () { gpsText.textContent = locate.dataset.denied; }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    };
    locate.addEventListener('click', locateNow);
    if (!lat.value) locateNow();

    var problem = function () {
      if (!form.querySelector("input[type=hidden][name='CategoryCode']")) return f.needCategory;
      if (!lat.value && !document.getElementById('Address').value.trim()) return f.needPlace;
      if (!photos.files.length) return f.needPhoto;
      if (photos.files.length > parseInt(f.maxPhotos, 10)) return f.tooMany;
      return null;
    };

    var fresh = function () {
      form.reset();
      form.querySelectorAll('.picker-chosen .chip').forEach(function (c) { c.remove(); });
      document.getElementById('previews').textContent = '';
      key.value = uuid();
      submit.disabled = false;
      submit.textContent = f.send;
      if (here) setPoint(here); else locateNow();
    };

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      show(reportDone, '');
      var why = problem();
      if (why) { show(reportError, why); reportError.scrollIntoView({ block: 'center' }); return; }
      show(reportError, '');
      var report = {
        key: key.value || uuid(),
        savedAt: new Date().toISOString(),
        fields: {
          categoryCode: form.querySelector("input[type=hidden][name='CategoryCode']").value,
          description: document.getElementById('Description').value,
          lat: lat.value, lon: lon.value, accuracy: acc.value,
          address: document.getElementById('Address').value
        },
        photos: Array.prototype.map.call(photos.files, function (file) { return { name: file.name, type: file.type, blob: file }; })
      };
      submit.disabled = true;
      submit.textContent = f.sending;
      // Kept first, sent second: a page closed mid-send still has the report, and its key stops a second case.
      var keep = enqueue(report).catch(function () { return null; });
      keep.then(function () { return send(report); }).then(function (res) {
        if (res.ok) {
          return dequeue(report.key).catch(function () { }).then(function () {
            fresh();
            show(reportDone, f.sent.replace('{number}', res.number));
            reportDone.dataset.number = res.number;
          });
        }
        if (res.refused) {
          return dequeue(report.key).catch(function () { }).then(function () {
            show(reportError, res.message);
            submit.disabled = false;
            submit.textContent = f.send;
          });
        }
        // No connection (or the server is down, or the session expired): the report stays queued.
        fresh();
        show(reportDone, res.signIn ? t.textSignin : f.kept);
        reportDone.dataset.number = '';
      }).then(showQueue);
    });
  }

  // ---- a task's verdict --------------------------------------------------------------------------------------------
  var taskForm = document.getElementById('task-form');
  if (taskForm) {
    var taskPhotos = document.getElementById('Photos');
    previewPhotos(taskPhotos, document.getElementById('previews'), document.getElementById('photo-error'), 5, '');
    taskForm.addEventListener('submit', function () {
      var button = document.getElementById('submit-task');
      setTimeout(function () { button.disabled = true; button.textContent = taskForm.dataset.sending; }, 0);
    });
  }
})();
