import Button from '@mui/material/Button';
import Typography from '@mui/material/Typography';
import Panel from '../Panel.jsx';

/** A panel of the Alerts page listing things: a "New …" button for admins, a sentence when empty. */
export default function ListPanel({ title, subtitle, testId, create, empty, emptyText, children, before }) {
  return (
    <Panel
      title={title}
      subtitle={subtitle}
      testId={`panel-${testId}`}
      action={
        create && (
          <Button
            variant={create.primary ? 'contained' : 'outlined'}
            size="small"
            onClick={create.onClick}
            data-testid={`${testId}-new`}
          >
            {create.label}
          </Button>
        )
      }
    >
      {before}
      {empty ? (
        <Typography variant="body2" color="text.secondary" data-testid={`${testId}-none`}>
          {emptyText}
        </Typography>
      ) : (
        children
      )}
    </Panel>
  );
}
