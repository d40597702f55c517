import { useEffect, useState } from 'react';
import { alertsErrorText } from '../../lib/alerts.js';

/**
 * A create/edit dialog's form: reset to `initial()` each time it opens, checked by
 * `validate(form)` ({field: message}), then `save(form)`; the API's refusal stays in the
 * dialog as `submitError` (a 403 explained as the admin role).
 */
export function useFormDialog({ open, initial, validate, save, onSaved }) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState({});
  const [submitError, setSubmitError] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setForm(initial());
    setErrors({});
    setSubmitError(null);
    setBusy(false);
    // `initial` is rebuilt each render; what it reads is in the caller's `open` and item.
  }, [open]);

  const change = (field, value) => setForm((previous) => ({ ...previous, [field]: value }));

  async function submit(event) {
    event.preventDefault();
    const found = validate(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setSubmitError(null);
    try {
      onSaved(await save(form));
    } catch (error) {
      setSubmitError(alertsErrorText(error));
      setBusy(false);
    }
  }

  return { form, setForm, change, errors, submitError, busy, submit };
}
