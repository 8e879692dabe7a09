// The grid assignment page: the header's box ticks the whole page; "assign all" asks first.
(() => {
    const all = document.getElementById('grid-all');
    all?.addEventListener('change', () => {
        for (const box of document.querySelectorAll('#grids tbody input[name="codes"]')) box.checked = all.checked;
    });
    document.getElementById('grid-assign-all')?.addEventListener('click', e => {
        const text = e.currentTarget.dataset.confirm;
        if (text && !window.confirm(text)) e.preventDefault();
    });
})();
