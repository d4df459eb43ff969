-- header

-- %% [raw] T id="a" n=1
-- raw
--

-- %%
x = 1