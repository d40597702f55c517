import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { CUSTOM_RANGE, getPreset } from '../lib/timeRange.js';
import FilterBar from './FilterBar.jsx';
import RangeSelector from './RangeSelector.jsx';

/** The range selector and filter bar at the top of a page; `detail` follows the range's name. */
export default function ViewControls({ view, setView, options, onFilter, onClear, detail, children }) {
  const rangeTitle = view.range === CUSTOM_RANGE ? 'Custom range' : getPreset(view.range)?.title;
  return (
    <Paper variant="outlined" sx={{ p: { xs: 1.5, sm: 2 } }}>
      <Stack spacing={2}>
        <Box
          sx={{
            display: 'flex',
            flexWrap: 'wrap',
            gap: 1,
            alignItems: 'center',
            justifyContent: 'space-between',
          }}
        >
          <RangeSelector view={view} onChange={(change) => setView(change)} />
          <Typography variant="body2" color="text.secondary" data-testid="range-title">
            {rangeTitle}
            {detail}
          </Typography>
        </Box>
        <FilterBar filters={view.filters} options={options} onChange={onFilter} onClear={onClear} />
        {children}
      </Stack>
    </Paper>
  );
}
