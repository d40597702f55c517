import TextField from '@mui/material/TextField';

/**
 * A native select in the dialogs' style (native: keyboard- and screen-reader-friendly).
 * `options`: strings, or {value, label}; `any`: the label of an empty first choice.
 */
export default function SelectField({ label, value, onChange, testId, options, any, ...props }) {
  return (
    <TextField
      select
      size="small"
      label={label}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      slotProps={{
        select: { native: true },
        inputLabel: { shrink: true },
        htmlInput: { 'data-testid': testId, 'aria-label': label },
      }}
      {...props}
    >
      {any !== undefined && <option value="">{any}</option>}
      {options.map((option) => {
        const { value: key, label: text } = typeof option === 'object' ? option : { value: option, label: option };
        return (
          <option key={key} value={key}>
            {text}
          </option>
        );
      })}
    </TextField>
  );
}
