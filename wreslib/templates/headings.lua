--[[ Word documents start their sections at Heading 1 (listed under `filters:` in _quarto.yml).

Report sections are level-2 headings because in HTML the title is the page's one <h1>. Word
shows the title in its Title style instead, so there sections are raised to start at Heading 1,
as Word's navigation pane and accessibility checker expect. (pandoc's --shift-heading-level-by
is not used: given a level-1 heading it would take it for the document's title.) ]]

function Pandoc(doc)
  if FORMAT ~= "docx" then
    return nil
  end
  local top = 7
  doc.blocks:walk({ Header = function(h) top = math.min(top, h.level) end })
  if top <= 1 or top == 7 then
    return nil
  end
  doc.blocks = doc.blocks:walk({ Header = function(h) h.level = h.level - (top - 1); return h end })
  return doc
end
