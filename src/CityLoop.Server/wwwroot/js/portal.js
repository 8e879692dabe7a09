// The citizen portal's report page: a map without tiles (the platform's street outlines), a tap or the phone's
// position sets the point; photos are checked for number and size before sending (the server checks their content).
(function () {
    'use strict';
    var form = document.getElementById('report-form');
    if (!form) return;
    var latInput = document.getElementById('Latitude');
    var lonInput = document.getElementById('Longitude');
    var pointText = document.getElementById('point-text');
    var mapEl = document.getElementById('map');
    var map = null, marker = null, m = null;

    function setPoint(lat, lon, zoom) {
        latInput.value = lat.toFixed(6);
        lonInput.value = lon.toFixed(6);
        pointText.textContent = pointText.dataset.chosen + ' ' + latInput.value + ', ' + lonInput.value;
        if (!map) return;
        // The point is kept in WGS-84; the shared map module places it on whatever datum the base layer uses.
        var shown = m.latLng(lat, lon);
        if (marker) marker.setLatLng(shown); else marker = L.marker(shown).addTo(map);
        if (zoom) map.setView(shown, Math.max(map.getZoom(), 15));
    }

    if (mapEl && window.L && window.CityLoopMap) {
        m = CityLoopMap.create(mapEl);
        map = m.map;
        m.outlines(mapEl.dataset.outlines).then(function (layer) {
            if (layer && !latInput.value) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
            mapEl.dataset.ready = 'true';
        });
        map.on('click', function (e) { var p = m.toWgs84(e.latlng); setPoint(p[0], p[1], false); });
        if (latInput.value && lonInput.value) setPoint(parseFloat(latInput.value), parseFloat(lonInput.value), true);
    }

    var gps = document.getElementById('use-gps');
    if (gps) gps.addEventListener('click', function () {
        if (!navigator.geolocation) { pointText.textContent = gps.dataset.unsupported; return; }
        pointText.textContent = gps.dataset.locating;
        navigator.geolocation.getCurrentPosition(function (pos) {
            setPoint(pos.coords.latitude, pos.coords.longitude, true);
        }, function () {
            pointText.textContent = gps.dataset.denied;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });

    var photos = document.getElementById('Photos');
    var previews = document.getElementById('previews');
    var photoError = document.getElementById('photo-error');
    var maxPhotos = parseInt(form.dataset.maxPhotos, 10);
    var maxBytes = parseInt(form.dataset.maxBytes, 10);

    function photoProblem() {
        var files = photos ? photos.files : [];
        if (files.length > maxPhotos) return form.dataset.tooMany;
        for (var i = 0; i < files.length; i++) {
            if (files[i].size > maxBytes) return form.dataset.tooBig.replace('{name}', files[i].name);
            if (files[i].type && !/^image\/(jpeg|png|webp)$/.test(files[i].type)) return form.dataset.notPhoto.replace('{name}', files[i].name);
        }
        return null;
    }

    if (photos) photos.addEventListener('change', function () {
        previews.textContent = '';
        var problem = photoProblem();
        photoError.hidden = !problem;
        photoError.textContent = problem || '';
        if (problem) return;
        Array.prototype.forEach.call(photos.files, function (file) {
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

    var sending = false;
    form.addEventListener('submit', function (e) {
        var problem = photoProblem();
        if (problem || sending) {
            e.preventDefault();
            if (problem) { photoError.hidden = false; photoError.textContent = problem; photoError.scrollIntoView({ block: 'center' }); }
            return;
        }
        sending = true;
        var button = document.getElementById('submit-report');
        button.disabled = true;
        button.textContent = form.dataset.sending;
    });
})();
