import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import {
  describeCondition,
  describeScope,
  formatMetricValue,
  formatWhen,
  isMuted,
  metricOf,
} from '../../lib/alerts.js';
import ListPanel from './ListPanel.jsx';
import { SeverityChip, StateChip } from './AlertChips.jsx';

const phoneHidden = { display: { xs: 'none', md: 'table-cell' } };

export default function RulesPanel({ rules, editable, onCreate, onEdit, onMute, onUnmute, onHistory, onDelete }) {
  return (
    <ListPanel
      title="Rules"
      subtitle="Evaluated every minute from the rollups"
      testId="rules"
      create={editable && { label: 'New rule', onClick: onCreate, primary: true }}
      empty={rules.length === 0}
      emptyText={`No rules yet.${editable ? ' Create one to be told when something is wrong.' : ''}`}
    >
      <TableContainer>
        <Table size="small" aria-label="Alert rules">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell sx={phoneHidden}>Scope</TableCell>
              <TableCell>Condition</TableCell>
              <TableCell align="right" sx={phoneHidden}>
                Last value
              </TableCell>
              <TableCell>State</TableCell>
              <TableCell sx={phoneHidden}>Severity</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rules.map((rule) => {
              const muted = isMuted(rule);
              return (
                <TableRow
                  key={rule.id}
                  data-testid="rule-row"
                  data-rule={rule.id}
                  data-name={rule.name}
                  data-state={rule.state ?? 'ok'}
                  sx={{ opacity: rule.enabled === false ? 0.6 : 1 }}
                >
                  <TableCell>
                    <Typography variant="body2" sx={{ fontWeight: 600 }}>
                      {rule.name}
                    </Typography>
                    {rule.enabled === false && (
                      <Typography variant="caption" color="text.secondary">
                        disabled
                      </Typography>
                    )}
                    {muted && (
                      <Typography variant="caption" color="text.secondary" component="div" data-testid="rule-muted">
                        muted until {formatWhen(rule.muted_until)}
                        {rule.mute_reason ? `: ${rule.mute_reason}` : ''}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell
                    sx={{ ...phoneHidden, overflowWrap: 'break-word', minWidth: 100 }}
                    data-testid="rule-scope"
                  >
                    {describeScope(rule)}
                  </TableCell>
                  <TableCell data-testid="rule-condition" title={metricOf(rule.metric).label}>
                    {describeCondition(rule)}
                  </TableCell>
                  <TableCell align="right" sx={phoneHidden} data-testid="rule-value">
                    {formatMetricValue(rule.metric, rule.last_value)}
                  </TableCell>
                  <TableCell>
                    <StateChip rule={rule} />
                    {rule.state_since && (
                      <Typography variant="caption" color="text.secondary" component="div">
                        since {formatWhen(rule.state_since)}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell sx={phoneHidden}>
                    <SeverityChip severity={rule.severity} />
                  </TableCell>
                  <TableCell align="right">
                    <Box
                      sx={{
                        display: 'flex',
                        gap: 0.5,
                        justifyContent: 'flex-end',
                        flexWrap: { xs: 'wrap', lg: 'nowrap' },
                      }}
                    >
                      <Button
                        size="small"
                        onClick={() => onHistory(rule)}
                        data-testid="rule-history"
                        aria-label={`History of ${rule.name}`}
                      >
                        History
                      </Button>
                      {editable && (
                        <>
                          <Button
                            size="small"
                            onClick={() => onEdit(rule)}
                            data-testid="rule-edit"
                            aria-label={`Edit rule ${rule.name}`}
                          >
                            Edit
                          </Button>
                          {muted ? (
                            <Button
                              size="small"
                              onClick={() => onUnmute(rule)}
                              data-testid="rule-unmute"
                              aria-label={`Unmute rule ${rule.name}`}
                            >
                              Unmute
                            </Button>
                          ) : (
                            <Button
                              size="small"
                              onClick={() => onMute(rule)}
                              data-testid="rule-mute"
                              aria-label={`Mute rule ${rule.name}`}
                            >
                              Mute
                            </Button>
                          )}
                          <Button
                            size="small"
                            color="error"
                            onClick={() => onDelete(rule)}
                            data-testid="rule-delete"
                            aria-label={`Delete rule ${rule.name}`}
                          >
                            Delete
                          </Button>
                        </>
                      )}
                    </Box>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
    </ListPanel>
  );
}
