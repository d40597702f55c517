import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import { isOther, otherExplanation } from '../lib/cardinality.js';
import { showValue } from '../lib/format.js';
import ExploreButton from './ExploreButton.jsx';
import Panel from './Panel.jsx';

function ChipList({ title, dimension, values, selected, onSelect, onExplore, exploreLabel, testId, emptyText }) {
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
            <Box key={value} sx={{ display: 'inline-flex', alignItems: 'center', maxWidth: '100%' }}>
              <Chip
                label={showValue(value)}
                size="small"
                data-testid={testId}
                color={selected === value ? 'primary' : 'default'}
                variant={selected === value ? 'filled' : 'outlined'}
                onClick={() => onSelect(selected === value ? '' : value)}
                title={isOther(value) ? otherExplanation(dimension) : undefined}
                sx={{ maxWidth: '100%' }}
              />
              <ExploreButton
                label={`${exploreLabel} ${showValue(value)}`}
                onClick={() => onExplore(value)}
                testId={`${testId}-explore`}
              />
            </Box>
          ))}
        </Box>
      )}
    </Box>
  );
}

export default function NodesPanel({ nodes, contexts, filters, onFilter, onExplore }) {
  return (
    <Panel
      title="Nodes and contexts"
      subtitle="Click one to filter by it, or its magnifier to see its requests"
      testId="panel-nodes"
    >
      <ChipList
        title="Nodes"
        dimension="node"
        values={nodes}
        selected={filters.node}
        onSelect={(value) => onFilter('node', value)}
        onExplore={(value) => onExplore('node', value)}
        exploreLabel="Requests of node"
        testId="node-chip"
        emptyText="No node names were reported in this range."
      />
      <ChipList
        title="Contexts"
        dimension="context"
        values={contexts}
        selected={filters.context}
        onSelect={(value) => onFilter('context', value)}
        onExplore={(value) => onExplore('context', value)}
        exploreLabel="Requests of context"
        testId="context-chip"
        emptyText="No request contexts were reported in this range."
      />
    </Panel>
  );
}
