import Box from '@mui/material/Box';

export default function Logo({ size = 28 }) {
  return (
    <Box component="svg" viewBox="0 0 32 32" sx={{ width: size, height: size, flexShrink: 0 }} aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#1565c0" />
      <path
        d="M5 22h5l3-9 4 13 3-8 2 4h5"
        fill="none"
        stroke="#fff"
        strokeWidth="2.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </Box>
  );
}
