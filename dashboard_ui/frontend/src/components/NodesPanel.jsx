import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import { showValue } from '../lib/format.js';
import Panel from './Panel.jsx';

function ChipList({ title, values, selected, onSelect, testId, emptyText }) {
  const sorted = [...(values ?? [])]
    .filter((v) => v !== null && v !== '')
    .sort((a, b) => String(a).localeCompare(String(b)));
  return (
    <Box sx={{ mb: 1.5 }}>
      <Typography variant="overline" color="text.secondary" component="h3">
        {title}
      </Typography>
      {sorted.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          {emptyText}
        </Typography>
      ) : (
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.75 }}>
          {sorted.map((value) => (
            <Chip
              key={value}
              label={showValue(value)}
              size="small"
              data-testid={testId}
              color={selected === value ? 'primary' : 'default'}
              variant={selected === value ? 'filled' : 'outlined'}
              onClick={() => onSelect(selected === value ? '' : value)}
              sx={{ maxWidth: '100%' }}
            />
          ))}
        </Box>
      )}
    </Box>
  );
}

export default function NodesPanel({ nodes, contexts, filters, onFilter }) {
  return (
    <Panel title="Nodes and contexts" subtitle="Click one to filter by it" testId="panel-nodes">
      <ChipList
        title="Nodes"
        values={nodes}
        selected={filters.node}
        onSelect={(value) => onFilter('node', value)}
        testId="node-chip"
        emptyText="No node names were reported in this range."
      />
      <ChipList
        title="Contexts"
        values={contexts}
        selected={filters.context}
        onSelect={(value) => onFilter('context', value)}
        testId="context-chip"
        emptyText="No request contexts were reported in this range."
      />
    </Panel>
  );
}
